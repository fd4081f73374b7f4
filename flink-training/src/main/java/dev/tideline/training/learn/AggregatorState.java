package dev.tideline.training.learn;

import dev.tideline.training.model.ProgressiveMetrics;

/**
 * The aggregator's state (operator state, one for the job): the global model, the round being
 * gathered, and the metrics since the last release and in total. A Flink POJO.
 */
public final class AggregatorState {

    public GlobalState global;

    /** Sum of example-weighted deltas of the open round. */
    public float[] roundSum;

    public long roundWeight;

    /** Learners (bit per subtask index) that reported in the open round. */
    public long roundReporters;

    public long roundOpenedMs = -1;

    public long releasedVersion;
    public long nextReleaseCheckMs;
    public int roundsSinceRelease;

    public ProgressiveMetrics window;
    public ProgressiveMetrics total;
    public long examplesTrained;
    public long examplesDiscarded;
    public long updatesDiscarded;
    public long maxEventTimeMs = Long.MIN_VALUE;

    public AggregatorState() {}
}
