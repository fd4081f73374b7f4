package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.connectors.CdcConfig;
import dev.tideline.features.FeatureConfig;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.serving.ServingConfig;
import dev.tideline.testkit.ReadmeKeys;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every settings key README.md names is one an engine accepts, so the manual and the code cannot
 * drift apart. The training job's keys are checked in its own module, against its definition.
 */
class ReadmeKeysTest {

    @Test
    void everyKeyTheReadmeNamesIsAccepted() {
        Set<String> known = new TreeSet<>(ClientSettings.KEYS);
        known.addAll(FeatureConfig.DEFINITION.names());
        known.addAll(ServingConfig.DEFINITION.names());
        known.addAll(CdcConfig.DEFINITION.names());
        known.addAll(LocalStack.Builder.KEYS);
        Set<String> prefixes = new TreeSet<>(ClientSettings.ENGINE_CLIENT_PREFIXES);
        prefixes.add(ClientSettings.CLIENT_PREFIX);
        prefixes.add(FeatureConfig.STREAMS_PREFIX);
        Set<String> named = ReadmeKeys.all();
        named.removeIf(k -> k.startsWith("tideline.training."));
        assertThat(named)
                .as("keys README.md names")
                .contains(
                        "tideline.features.cache-max-bytes",
                        "tideline.features.http.host",
                        "tideline.serving.shadow.threshold");
        assertThat(named)
                .filteredOn(k -> !ReadmeKeys.accepted(k, known, prefixes))
                .as("keys README.md names that no engine accepts")
                .isEmpty();
    }
}
