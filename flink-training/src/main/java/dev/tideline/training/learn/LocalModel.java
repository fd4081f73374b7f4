package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;

/**
 * A learner's model replica and the rules it trains by, without Flink: test-then-train per example,
 * when to report, what an update holds, and how a newer global version is adopted. The {@link
 * Learner} operator checkpoints its {@link LearnerState} and moves records; the benchmark measures
 * this class alone.
 */
public final class LocalModel {

    /** Examples between refreshes of the standardisation from the running statistics. */
    static final int REFRESH = 64;

    private final TrainingSettings settings;
    private LearnerState s;
    private final float[] z;
    private final float[] hidden;
    private float[] mean;
    private float[] inverseStd;
    private long scaledAt;

    public LocalModel(TrainingSettings settings, LearnerState state) {
        this.settings = settings;
        this.s = state;
        this.z = new float[settings.width()];
        this.hidden = new float[Math.max(1, settings.hidden())];
    }

    public static LocalModel fresh(TrainingSettings settings) {
        return new LocalModel(settings, LearnerState.fresh(settings));
    }

    public LearnerState state() {
        return s;
    }

    /**
     * Scores one example with the model as it is, then trains on it; returns the score.
     *
     * @throws IllegalArgumentException when the example does not have the model's width
     */
    public float train(float[] values, boolean fraud, long eventTimeMs) {
        if (values.length != settings.width()) {
            throw new IllegalArgumentException(
                    values.length + " values, the model takes " + settings.width());
        }
        long seen = s.scaler.count + s.pendingExamples;
        if (mean == null || seen < REFRESH || seen - scaledAt >= REFRESH) {
            FeatureScaler view = s.scaler.copy();
            view.merge(pending());
            mean = view.meanAsFloats();
            inverseStd = view.inverseStd();
            scaledAt = seen;
        }
        Network.standardise(values, mean, inverseStd, z);
        float p = s.network.accumulateGradient(z, fraud ? 1 : 0, s.gradient, hidden);
        s.metrics.add(p, fraud);
        double[] sum = s.pendingSum;
        double[] squares = s.pendingSumOfSquares;
        for (int i = 0; i < sum.length; i++) {
            double v = values[i];
            sum[i] += v;
            squares[i] += v * v;
        }
        s.maxEventTimeMs = Math.max(s.maxEventTimeMs, eventTimeMs);
        s.pendingExamples++;
        if (++s.inBatch == settings.batchSize()) {
            s.optimizer.step(s.network.params, s.gradient, s.inBatch);
            s.inBatch = 0;
        }
        return p;
    }

    /**
     * Whether an update is due: K examples are pending and, bounding staleness from the learner's
     * side, fewer than maxStaleness + 1 updates are outstanding on the version held (past that the
     * learner trains on and holds a growing update until a newer version arrives, rather than send
     * one the aggregator would discard).
     */
    public boolean updateDue() {
        return s.pendingExamples >= settings.updateEvery()
                && s.sentOnBase <= settings.maxStaleness();
    }

    /** Statistics of the examples since the last update. */
    private FeatureScaler pending() {
        return FeatureScaler.ofMoments(s.pendingExamples, s.pendingSum, s.pendingSumOfSquares);
    }

    public boolean hasPending() {
        return s.pendingExamples > 0;
    }

    /** The update since the last one (null when nothing is pending), and resets for the next. */
    public ModelUpdate takeUpdate(int learner) {
        if (s.pendingExamples == 0) {
            return null;
        }
        if (s.inBatch > 0) {
            s.optimizer.step(s.network.params, s.gradient, s.inBatch);
            s.inBatch = 0;
        }
        float[] delta = new float[s.network.params.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = s.network.params[i] - s.reported[i];
        }
        FeatureScaler statistics = pending();
        s.scaler.merge(statistics);
        ModelUpdate u =
                new ModelUpdate(
                        learner,
                        s.baseVersion,
                        s.pendingExamples,
                        delta,
                        statistics,
                        s.metrics,
                        s.maxEventTimeMs);
        s.sentOnBase++;
        s.reported = s.network.params.clone();
        s.pendingSum = new double[settings.width()];
        s.pendingSumOfSquares = new double[settings.width()];
        s.metrics = new ProgressiveMetrics();
        s.pendingExamples = 0;
        return u;
    }

    /**
     * Adopts a newer global version, carrying what was trained since the last report onto it (to be
     * reported with it later: nothing trained is dropped or sent stale). False, and nothing
     * changes, for a version already held.
     */
    public boolean adopt(GlobalState g) {
        if (g.version <= s.baseVersion) {
            return false;
        }
        float[] params = g.network.params.clone();
        for (int i = 0; i < params.length; i++) {
            params[i] += s.network.params[i] - s.reported[i];
        }
        // Each version since the old base reflects about one of this learner's updates (one per
        // round): those still outstanding count against the staleness bound.
        s.sentOnBase = (int) Math.max(0, s.sentOnBase - (g.version - s.baseVersion));
        s.baseVersion = g.version;
        s.reported = g.network.params.clone();
        s.network = g.network.copy();
        s.network.params = params;
        s.scaler = g.scaler.copy(); // the pending moments stay pending
        mean = null;
        return true;
    }
}
