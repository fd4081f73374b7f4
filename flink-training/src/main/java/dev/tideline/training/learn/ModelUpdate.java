package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.ScoreLog;

/**
 * What a learner sends the aggregator every K examples: the change to its parameters since its last
 * update (a point that descends from global version {@code baseVersion}), the examples it trained
 * on meanwhile, their feature statistics and their progressive-validation metrics. A Flink POJO.
 */
public final class ModelUpdate {

    public int learner;
    public long baseVersion;
    public long examples;
    public float[] delta;
    public FeatureScaler scaler;
    public ScoreLog metrics;
    public long maxEventTimeMs;

    public ModelUpdate() {}

    public ModelUpdate(
            int learner,
            long baseVersion,
            long examples,
            float[] delta,
            FeatureScaler scaler,
            ScoreLog metrics,
            long maxEventTimeMs) {
        this.learner = learner;
        this.baseVersion = baseVersion;
        this.examples = examples;
        this.delta = delta;
        this.scaler = scaler;
        this.metrics = metrics;
        this.maxEventTimeMs = maxEventTimeMs;
    }
}
