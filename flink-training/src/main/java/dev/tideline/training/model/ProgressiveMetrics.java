package dev.tideline.training.model;

/**
 * Progressive validation in mergeable form: each example is scored before it is trained on, and the
 * score lands in a histogram of positives or negatives. Histograms add, so learners' metrics merge
 * exactly; AUC is computed from them (ties within a bin count half), log-loss from its sum. With
 * 4096 bins the AUC is within about 1e-3 of the exact figure. Two histograms take 64 KB: learners
 * send theirs as a {@link ScoreLog}. A Flink POJO.
 */
public final class ProgressiveMetrics {

    public static final int BINS = 4096;
    private static final float MIN_LIKELIHOOD = 1e-7f;

    public long[] positives = new long[BINS];
    public long[] negatives = new long[BINS];
    public double logLossSum;
    public long count;

    public void add(float score, boolean fraud) {
        (fraud ? positives : negatives)[bin(score)]++;
        logLossSum -= Math.log(likelihood(score, fraud));
        count++;
    }

    /** The histogram bin of a score in [0, 1]. */
    static int bin(float score) {
        return Math.max(0, Math.min(BINS - 1, (int) (score * BINS)));
    }

    /** The probability a score gave the label ({@code p} or {@code 1 - p}), at least 1e-7. */
    static float likelihood(float score, boolean fraud) {
        float y = fraud ? 1 : 0;
        float likelihood = y * score + (1 - y) * (1 - score); // without a branch
        return likelihood < MIN_LIKELIHOOD ? MIN_LIKELIHOOD : likelihood;
    }

    public void merge(ProgressiveMetrics other) {
        for (int i = 0; i < BINS; i++) {
            positives[i] += other.positives[i];
            negatives[i] += other.negatives[i];
        }
        logLossSum += other.logLossSum;
        count += other.count;
    }

    public ProgressiveMetrics copy() {
        ProgressiveMetrics c = new ProgressiveMetrics();
        c.merge(this);
        return c;
    }

    public long positiveCount() {
        long n = 0;
        for (long p : positives) {
            n += p;
        }
        return n;
    }

    /** Area under the ROC curve; NaN until there is at least one positive and one negative. */
    public double auc() {
        double negBelow = 0;
        double area = 0;
        long pos = 0;
        long neg = 0;
        for (int i = 0; i < BINS; i++) {
            area += positives[i] * (negBelow + negatives[i] / 2.0);
            negBelow += negatives[i];
            pos += positives[i];
            neg += negatives[i];
        }
        return pos == 0 || neg == 0 ? Double.NaN : area / ((double) pos * neg);
    }

    /** Mean log-loss; NaN before any example. */
    public double logLoss() {
        return count == 0 ? Double.NaN : logLossSum / count;
    }
}
