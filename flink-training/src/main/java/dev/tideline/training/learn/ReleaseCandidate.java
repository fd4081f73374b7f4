package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;

/**
 * A global model the aggregator hands to publishing: the model, its statistics, and its
 * progressive-validation metrics since the last release and in total. A Flink POJO.
 */
public final class ReleaseCandidate {

    public long globalVersion;
    public Network network;
    public FeatureScaler scaler;
    public ProgressiveMetrics window;
    public ProgressiveMetrics total;
    public long examplesTrained;
    public long examplesDiscarded;
    public long updatesDiscarded;
    public long maxEventTimeMs;
    public long createdAtMs;

    public ReleaseCandidate() {}
}
