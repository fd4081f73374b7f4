package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.ScoreLog;

/**
 * A learner's model replica and the rules it trains by, without Flink: test-then-train per example
 * in mini-batches, when to report, what an update holds, and how a newer global version is adopted.
 * The {@link Learner} operator checkpoints its {@link LearnerState} and moves records; the
 * benchmark measures this class alone.
 */
public final class LocalModel {

    /** Fewest examples between refreshes of the standardisation from the running statistics. */
    static final int REFRESH = 64;

    /** Means within this many standard deviations of zero need no shift for their moments. */
    static final double CENTRED = 64;

    private final TrainingSettings settings;
    private LearnerState s;
    private final MiniBatch batch;
    private float[] mean;
    private float[] inverseStd;
    private long scaledAt;

    public LocalModel(TrainingSettings settings, LearnerState state) {
        this.settings = settings;
        this.s = state;
        this.batch =
                new MiniBatch(
                        settings.width(),
                        settings.batchSize(),
                        settings.hidden(),
                        MiniBatch.VECTOR_LANES,
                        settings.positiveWeight());
    }

    public static LocalModel fresh(TrainingSettings settings) {
        return new LocalModel(settings, LearnerState.fresh(settings));
    }

    /** The state to checkpoint, with every example added so far trained on. */
    public LearnerState state() {
        trainBuffered();
        return s;
    }

    /**
     * Adds one example to the mini-batch; when the batch is full, scores each of its examples with
     * the model as it is, then trains on them. The model keeps {@code values} until then: the
     * caller must not change the array.
     *
     * @throws IllegalArgumentException when the example does not have the model's width
     */
    public void train(float[] values, boolean fraud, long eventTimeMs) {
        if (values.length != settings.width()) {
            throw new IllegalArgumentException(
                    values.length + " values, the model takes " + settings.width());
        }
        if (s.pendingExamples == 0) {
            s.pendingShift = momentShift(values);
        }
        batch.add(values, fraud);
        s.maxEventTimeMs = Math.max(s.maxEventTimeMs, eventTimeMs);
        s.pendingExamples++;
        if (s.inBatch + batch.size() == settings.batchSize()) {
            trainBuffered();
            step();
        }
    }

    /**
     * One optimiser step with the gradient of the examples trained since the last, as their
     * weighted mean (the weights' sum, or their count in state from before it was kept).
     */
    private void step() {
        s.optimizer.step(s.network.params, s.gradient, Math.max(s.inBatch, s.inBatchWeight));
        s.inBatch = 0;
        s.inBatchWeight = 0;
    }

    /**
     * The point this update's moments are summed about. Zero (null) when every feature's mean is
     * within {@link #CENTRED} standard deviations of zero, where float sums of squares within a
     * mini-batch lose nothing that matters and the learner's loop is shortest; otherwise the global
     * mean, or this first example before there are statistics.
     */
    private float[] momentShift(float[] first) {
        FeatureScaler g = s.scaler;
        if (g.count < REFRESH) {
            return first.clone();
        }
        double[] variance = g.variance();
        for (int j = 0; j < variance.length; j++) {
            if (g.mean[j] * g.mean[j] > CENTRED * CENTRED * variance[j]) {
                return g.meanAsFloats();
            }
        }
        return null;
    }

    /** Trains on the examples buffered so far (their gradient waits for the batch's step). */
    private void trainBuffered() {
        int n = batch.size();
        if (n == 0) {
            return;
        }
        refreshStandardisation();
        batch.train(
                s.network,
                mean,
                inverseStd,
                s.pendingShift,
                s.gradient,
                s.pendingSum,
                s.pendingSumOfSquares);
        s.metrics.addAll(batch.scores(), batch.labels(), n);
        s.inBatch += n;
        s.inBatchWeight += batch.weight();
        batch.clear();
    }

    /**
     * Standardisation follows the running statistics, global and pending. It changes only between
     * mini-batches (or on a new global version), and less often as the statistics settle: after at
     * least {@link #REFRESH} examples and a sixteenth more than at the last refresh.
     */
    private void refreshStandardisation() {
        long trained = s.scaler.count + s.pendingExamples - batch.size();
        boolean due = s.inBatch == 0 && trained - scaledAt >= Math.max(REFRESH, scaledAt / 16);
        if (mean == null || trained < REFRESH || due) {
            FeatureScaler view = s.scaler.copy();
            view.merge(pending(s.pendingExamples - batch.size()));
            mean = view.meanAsFloats();
            inverseStd = view.inverseStd();
            scaledAt = trained;
        }
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

    /** Statistics of the first {@code count} examples since the last update. */
    private FeatureScaler pending(long count) {
        return count == 0
                ? new FeatureScaler(settings.width())
                : FeatureScaler.ofMoments(
                        count, s.pendingShift, s.pendingSum, s.pendingSumOfSquares);
    }

    public boolean hasPending() {
        return s.pendingExamples > 0;
    }

    /** The update since the last one (null when nothing is pending), and resets for the next. */
    public ModelUpdate takeUpdate(int learner) {
        if (s.pendingExamples == 0) {
            return null;
        }
        trainBuffered();
        if (s.inBatch > 0) {
            step();
        }
        float[] delta = new float[s.network.params.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = s.network.params[i] - s.reported[i];
        }
        FeatureScaler statistics = pending(s.pendingExamples);
        s.scaler.merge(statistics);
        ModelUpdate u =
                new ModelUpdate(
                        learner,
                        s.baseVersion,
                        s.pendingExamples,
                        delta,
                        statistics,
                        s.metrics.trimmed(),
                        s.maxEventTimeMs);
        s.sentOnBase++;
        s.reported = s.network.params.clone();
        s.pendingSum = new double[settings.width()];
        s.pendingSumOfSquares = new double[settings.width()];
        s.pendingShift = null;
        s.metrics = new ScoreLog(settings.updateEvery());
        s.pendingExamples = 0;
        return u;
    }

    /**
     * Sets the updates still in flight, as the aggregator's count of those it has taken tells (on
     * {@link #adopt} the learner otherwise supposes one taken per version passed).
     */
    public void inFlight(long updates) {
        s.sentOnBase = (int) Math.min(updates, Integer.MAX_VALUE);
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
        trainBuffered(); // scored with the model they arrived under
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
