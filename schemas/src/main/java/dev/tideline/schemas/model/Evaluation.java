package dev.tideline.schemas.model;

import java.util.Arrays;

/**
 * Exact ranking metrics of scores against true classes: the area under the ROC curve (ties count
 * half) and average precision (the mean of the precision at each positive, in score order). Used
 * wherever served scores are judged against ground truth; the training job's progressive metrics
 * are a mergeable approximation of the same AUC.
 */
public final class Evaluation {

    private Evaluation() {}

    /**
     * AUC over the examples {@code keep} marks (one scenario's positives and every negative, say);
     * NaN when either class is missing among them.
     */
    public static double auc(float[] scores, boolean[] positive, boolean[] keep) {
        check(scores, positive);
        check(scores, keep);
        int n = 0;
        for (boolean k : keep) {
            n += k ? 1 : 0;
        }
        float[] s = new float[n];
        boolean[] p = new boolean[n];
        for (int i = 0, at = 0; i < keep.length; i++) {
            if (keep[i]) {
                s[at] = scores[i];
                p[at++] = positive[i];
            }
        }
        return auc(s, p);
    }

    /** AUC; NaN when either class is missing. */
    public static double auc(float[] scores, boolean[] positive) {
        check(scores, positive);
        Integer[] order = order(scores);
        long positives = 0;
        long negatives = 0;
        double rankSum = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            // ranks i+1 .. j+1 share their mean
            double rank = (i + j + 2) / 2.0;
            for (int k = i; k <= j; k++) {
                if (positive[order[k]]) {
                    positives++;
                    rankSum += rank;
                } else {
                    negatives++;
                }
            }
            i = j + 1;
        }
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    /** Average precision; NaN when there is no positive. */
    public static double averagePrecision(float[] scores, boolean[] positive) {
        check(scores, positive);
        Integer[] order = order(scores);
        long truePositives = 0;
        double sum = 0;
        int i = order.length - 1;
        long seen = 0;
        // Highest scores first; a group of tied scores counts as one threshold.
        while (i >= 0) {
            int j = i;
            while (j - 1 >= 0 && scores[order[j - 1]] == scores[order[i]]) {
                j--;
            }
            long groupPositives = 0;
            for (int k = j; k <= i; k++) {
                if (positive[order[k]]) {
                    groupPositives++;
                }
            }
            seen += i - j + 1;
            truePositives += groupPositives;
            sum += groupPositives * ((double) truePositives / seen);
            i = j - 1;
        }
        return truePositives == 0 ? Double.NaN : sum / truePositives;
    }

    private static Integer[] order(float[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        return order;
    }

    private static void check(float[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException(
                    scores.length + " scores for " + positive.length + " classes");
        }
    }
}
