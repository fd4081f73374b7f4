package dev.tideline.training.learn;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.Optimizer;
import java.io.Serializable;
import java.time.Duration;

/**
 * How the learners and the aggregator train: the model, its optimiser, how often learners report
 * (every {@code updateEvery} examples, or after {@code flushAfter} without one), when a round
 * closes ({@code learners} reports or {@code roundTimeout}), which updates are too stale, and when
 * a model is released ({@code releaseEveryRounds} rounds or {@code releaseEvery}), and the server
 * learning rate that scales each round's weighted mean delta (0 or less: the round's learner
 * count), and the weight of a positive example's loss against a negative's ({@code positiveWeight};
 * releases take its log off their output bias, so scores stay calibrated).
 */
public record TrainingSettings(
        String modelName,
        ModelKind kind,
        int width,
        int hidden,
        long seed,
        Optimizer.Kind optimizer,
        float learningRate,
        float l2,
        int batchSize,
        int updateEvery,
        Duration flushAfter,
        int learners,
        Duration roundTimeout,
        int maxStaleness,
        int releaseEveryRounds,
        Duration releaseEvery,
        double serverLearningRate,
        float positiveWeight)
        implements Serializable {

    /** The network every learner and the aggregator start from: identical everywhere. */
    public Network initialNetwork() {
        return kind == ModelKind.MLP ? Network.mlp(width, hidden, seed) : Network.logistic(width);
    }
}
