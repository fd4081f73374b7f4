package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.ops.config.ClientSettings;
import dev.tideline.testkit.ReadmeKeys;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every tideline.training.* key README.md names is one the training job accepts. */
class ReadmeKeysTest {

    @Test
    void everyTrainingKeyTheReadmeNamesIsAccepted() {
        Set<String> named = ReadmeKeys.all();
        named.removeIf(k -> !k.startsWith("tideline.training."));
        assertThat(named).contains("tideline.training.maturity-ms");
        assertThat(named)
                .filteredOn(
                        k ->
                                !ReadmeKeys.accepted(
                                        k,
                                        TrainingConfig.DEFINITION.names(),
                                        Set.copyOf(ClientSettings.ENGINE_CLIENT_PREFIXES)))
                .as("training keys README.md names that the job does not accept")
                .isEmpty();
    }
}
