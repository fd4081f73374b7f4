package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.Optimizer;
import dev.tideline.training.model.ScoreLog;

/**
 * A learner's replica of the model and what it has not reported yet; checkpointed as operator
 * state. A Flink POJO.
 */
public final class LearnerState {

    /** The global version the local model descends from. */
    public long baseVersion;

    /**
     * Updates sent that the global version held does not reflect yet: exact when the global says
     * how many the aggregator took, otherwise supposing one per version passed.
     */
    public int sentOnBase;

    public Network network;

    /** The parameters at the last update sent (or the global adopted): deltas are against them. */
    public float[] reported;

    public Optimizer optimizer;

    /** The global statistics adopted plus those of the updates sent since. */
    public FeatureScaler scaler;

    /**
     * Moments of the examples since the last update: per-feature sums and sums of squares of their
     * difference from {@link #pendingShift}.
     */
    public double[] pendingSum;

    public double[] pendingSumOfSquares;

    /**
     * The point the pending moments are taken about (null: zero), chosen when the first of them
     * arrived: the global mean, or that example itself before there were statistics, when a
     * feature's mean is far from zero relative to its spread.
     */
    public float[] pendingShift;

    /** Progressive validation of the examples since the last update. */
    public ScoreLog metrics;

    public float[] gradient;
    public int inBatch;

    /**
     * The loss weights of the examples in {@link #gradient} summed: the step divides by it, so the
     * gradient is the weighted mean and a mini-batch of positives alone weighs no more than one of
     * negatives. 0 in state written before it existed: the step then divides by {@link #inBatch}.
     */
    public float inBatchWeight;

    public long pendingExamples;
    public long maxEventTimeMs = Long.MIN_VALUE;

    public LearnerState() {}

    static LearnerState fresh(TrainingSettings settings) {
        LearnerState s = new LearnerState();
        s.network = settings.initialNetwork();
        s.reported = s.network.params.clone();
        s.optimizer =
                new Optimizer(
                        settings.optimizer(),
                        settings.learningRate(),
                        settings.l2(),
                        s.network.params.length);
        s.scaler = new FeatureScaler(settings.width());
        s.pendingSum = new double[settings.width()];
        s.pendingSumOfSquares = new double[settings.width()];
        s.metrics = new ScoreLog(settings.updateEvery());
        s.gradient = new float[s.network.params.length];
        return s;
    }
}
