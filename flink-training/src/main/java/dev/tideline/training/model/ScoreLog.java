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
        short[] c = codes;
        int at = count;
        for (int i = 0; i < n; i++) {
            c[at + i] = (short) (ProgressiveMetrics.bin(scores[i]) << 1 | (fraud[i] ? 1 : 0));
        }
        // Four running products (independent multiplications), combined every 32 examples.
        double p0 = 1;
        double p1 = 1;
        double p2 = 1;
        double p3 = 1;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            p0 *= ProgressiveMetrics.likelihood(scores[i], fraud[i]);
            p1 *= ProgressiveMetrics.likelihood(scores[i + 1], fraud[i + 1]);
            p2 *= ProgressiveMetrics.likelihood(scores[i + 2], fraud[i + 2]);
            p3 *= ProgressiveMetrics.likelihood(scores[i + 3], fraud[i + 3]);
            if ((i & 28) == 28) {
                logLossSum -= Math.log((p0 * p1) * (p2 * p3));
                p0 = 1;
                p1 = 1;
                p2 = 1;
                p3 = 1;
            }
        }
        for (; i < n; i++) {
            p0 *= ProgressiveMetrics.likelihood(scores[i], fraud[i]);
        }
        logLossSum -= Math.log((p0 * p1) * (p2 * p3));
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
