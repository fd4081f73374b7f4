package dev.tideline.training.model;

import java.util.Arrays;

/**
 * Progressive validation of the examples since a learner's last update, compactly: for each example
 * its score's histogram bin and its label in one {@code short}, and the log-loss as a sum. A
 * learner sends it with every update; the aggregator adds it to its {@link ProgressiveMetrics},
 * whose histograms would be 64 KB on every update. A Flink POJO.
 */
public final class ScoreLog {

    /** {@code bin << 1 | fraud} per example; the first {@link #count} are in use. */
    public short[] codes;

    public int count;
    public double logLossSum;

    public ScoreLog() {}

    /** An empty log with room for {@code capacity} examples (up to 65,536; it grows). */
    public ScoreLog(int capacity) {
        codes = new short[Math.max(1, Math.min(capacity, 1 << 16))];
    }

    /**
     * Adds the first {@code n} scores, each with its label. The log-loss takes one logarithm per 32
     * examples, of their likelihoods' product: each likelihood is at least 1e-7, so the product of
     * 32 stays a normal double (at least 1e-224), and the sum of logs is exact to rounding.
     */
    public void addAll(float[] scores, boolean[] fraud, int n) {
        if (count + n > codes.length) {
            codes = Arrays.copyOf(codes, Math.max(count + n, 2 * codes.length));
        }
        double product = 1;
        for (int i = 0; i < n; i++) {
            float p = scores[i];
            boolean f = fraud[i];
            codes[count + i] = (short) (ProgressiveMetrics.bin(p) << 1 | (f ? 1 : 0));
            product *= ProgressiveMetrics.likelihood(p, f);
            if ((i & 31) == 31) {
                logLossSum -= Math.log(product);
                product = 1;
            }
        }
        logLossSum -= Math.log(product);
        count += n;
    }

    /** Adds every example logged to {@code metrics}. */
    public void addTo(ProgressiveMetrics metrics) {
        for (int i = 0; i < count; i++) {
            int code = codes[i];
            (((code & 1) == 1) ? metrics.positives : metrics.negatives)[code >>> 1]++;
        }
        metrics.logLossSum += logLossSum;
        metrics.count += count;
    }

    public ProgressiveMetrics toMetrics() {
        ProgressiveMetrics m = new ProgressiveMetrics();
        addTo(m);
        return m;
    }

    /** This log with its codes array cut to the examples in it, to send. */
    public ScoreLog trimmed() {
        ScoreLog t = new ScoreLog();
        t.codes = Arrays.copyOf(codes, count);
        t.count = count;
        t.logLossSum = logLossSum;
        return t;
    }
}
