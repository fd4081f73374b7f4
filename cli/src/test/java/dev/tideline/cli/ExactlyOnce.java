package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.testkit.Topics;
import java.util.Map;

/** The whole-pipeline tests' count: every payment sent has one vector and one prediction. */
final class ExactlyOnce {

    private ExactlyOnce() {}

    /**
     * Reads {@code features.v1} and {@code predictions.v1} read_committed with {@code client} and
     * asserts that each holds exactly one record for each of {@code sent} transactions.
     */
    static void assertOneVectorAndOnePredictionEach(
            Map<String, Object> client, TopicCatalog catalog, long sent) {
        Map<String, Integer> vectors =
                Topics.countBy(
                        client,
                        catalog.features().name(),
                        catalog.features().valueSerde().deserializer(),
                        FeatureVector::getTxnId);
        Map<String, Integer> predictions =
                Topics.countBy(
                        client,
                        catalog.predictions().name(),
                        catalog.predictions().valueSerde().deserializer(),
                        Prediction::getTxnId);
        assertThat(vectors).as("vectors by transaction").hasSize((int) sent);
        assertThat(vectors.values()).as("vectors per transaction").containsOnly(1);
        assertThat(predictions).as("predictions by transaction").hasSize((int) sent);
        assertThat(predictions.values()).as("predictions per transaction").containsOnly(1);
    }
}
