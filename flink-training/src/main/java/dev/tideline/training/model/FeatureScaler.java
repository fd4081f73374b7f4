package dev.tideline.training.model;

import java.util.Arrays;

/**
 * Running mean and variance of each input feature, mergeable across learners (Chan, Golub and
 * LeVeque's pairwise update): each learner accumulates what it has seen since the last global
 * model, the aggregator merges those into the global statistics, and the exported model
 * standardises its input with them.
 *
 * <p>A Flink POJO (public fields, no-argument constructor), so it is checkpointed field by field.
 */
public final class FeatureScaler {

    /** Below this standard deviation a feature counts as constant and is only centred. */
    public static final double MIN_STD = 1e-6;

    public long count;
    public double[] mean;
    public double[] m2;

    public FeatureScaler() {}

    public FeatureScaler(int width) {
        this.mean = new double[width];
        this.m2 = new double[width];
    }

    public static FeatureScaler of(long count, double[] mean, double[] variance) {
        FeatureScaler s = new FeatureScaler(mean.length);
        s.count = count;
        for (int i = 0; i < mean.length; i++) {
            s.mean[i] = mean[i];
            s.m2[i] = variance[i] * count;
        }
        return s;
    }

    public int width() {
        return mean.length;
    }

    /** Welford's update with one example. */
    public void add(float[] x) {
        count++;
        double inv = 1.0 / count; // one division per example, not one per feature
        for (int i = 0; i < mean.length; i++) {
            double d = x[i] - mean[i];
            mean[i] += d * inv;
            m2[i] += d * (x[i] - mean[i]);
        }
    }

    /** Adds everything {@code other} has seen. */
    public void merge(FeatureScaler other) {
        if (other.count == 0) {
            return;
        }
        if (count == 0) {
            count = other.count;
            mean = other.mean.clone();
            m2 = other.m2.clone();
            return;
        }
        long n = count + other.count;
        for (int i = 0; i < mean.length; i++) {
            double d = other.mean[i] - mean[i];
            mean[i] += d * other.count / n;
            m2[i] += other.m2[i] + d * d * ((double) count * other.count / n);
        }
        count = n;
    }

    /**
     * The statistics of {@code count} examples from their per-feature sums and sums of squares
     * about {@code shift} (null: zero). A learner keeps those per update; summing {@code x - shift}
     * rather than {@code x} keeps the variance accurate when a feature's mean dwarfs its spread.
     */
    public static FeatureScaler ofMoments(
            long count, float[] shift, double[] sum, double[] sumOfSquares) {
        FeatureScaler s = new FeatureScaler(sum.length);
        s.count = count;
        if (count > 0) {
            for (int i = 0; i < sum.length; i++) {
                double shifted = sum[i] / count;
                s.mean[i] = (shift == null ? 0 : shift[i]) + shifted;
                s.m2[i] = Math.max(0, sumOfSquares[i] - sum[i] * shifted);
            }
        }
        return s;
    }

    public FeatureScaler copy() {
        FeatureScaler c = new FeatureScaler();
        c.count = count;
        c.mean = mean.clone();
        c.m2 = m2.clone();
        return c;
    }

    /** Population variance per feature; 0 before any example. */
    public double[] variance() {
        double[] v = new double[mean.length];
        if (count > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = m2[i] / count;
            }
        }
        return v;
    }

    /**
     * 1 / standard deviation per feature, as the exported graph multiplies by it; 1 for a feature
     * that has not varied (yet), as scikit-learn's scaler does.
     */
    public float[] inverseStd() {
        double[] v = variance();
        float[] inv = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            double sd = Math.sqrt(v[i]);
            inv[i] = count < 2 || sd < MIN_STD ? 1f : (float) (1.0 / sd);
        }
        return inv;
    }

    /** Standard deviation per feature, at least {@link #MIN_STD}. */
    public float[] stdAsFloats() {
        double[] v = variance();
        float[] sd = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            sd[i] = (float) Math.max(MIN_STD, Math.sqrt(v[i]));
        }
        return sd;
    }

    public float[] meanAsFloats() {
        float[] m = new float[mean.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) mean[i];
        }
        return m;
    }

    @Override
    public String toString() {
        return "FeatureScaler{count=" + count + ", mean=" + Arrays.toString(mean) + "}";
    }
}
