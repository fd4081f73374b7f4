package dev.tideline.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private final ConfigLoader loader =
            new ConfigLoader(
                    List.of("tideline.topics.partitions", "tideline.topics.replication-factor"),
                    List.of("tideline.kafka.client."));

    @Test
    void laterLayersWin(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(
                file, "tideline.topics.partitions=3\ntideline.topics.replication-factor=2\n");
        Map<String, String> config =
                loader.load(
                        Map.of("tideline.topics.partitions", "6"),
                        Optional.of(file),
                        Map.of("TIDELINE_TOPICS_REPLICATION_FACTOR", "3", "PATH", "/bin"),
                        Map.of("tideline.topics.partitions", "12"));
        assertThat(config)
                .containsEntry("tideline.topics.partitions", "12")
                .containsEntry("tideline.topics.replication-factor", "3")
                .doesNotContainKey("PATH");
    }

    @Test
    void mapsPassThroughEnvironmentVariablesToDottedKeys() {
        Map<String, String> config =
                loader.load(
                        Map.of(),
                        Optional.empty(),
                        Map.of("TIDELINE_KAFKA_CLIENT_SASL_MECHANISM", "PLAIN"),
                        Map.of());
        assertThat(config).containsEntry("tideline.kafka.client.sasl.mechanism", "PLAIN");
    }

    @Test
    void refusesAnUnknownKeyInTheFileSuggestingTheNearest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "tideline.topics.partition=3\n");
        assertThatThrownBy(() -> loader.load(Map.of(), Optional.of(file), Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'tideline.topics.partition'")
                .hasMessageContaining(file.toString())
                .hasMessageContaining("did you mean 'tideline.topics.partitions'");
    }

    @Test
    void refusesAnUnknownEnvironmentVariable() {
        assertThatThrownBy(
                        () ->
                                loader.load(
                                        Map.of(),
                                        Optional.empty(),
                                        Map.of("TIDELINE_TOPICS_PARTITION", "3"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TIDELINE_TOPICS_PARTITION")
                .hasMessageContaining("TIDELINE_TOPICS_PARTITIONS");
    }

    @Test
    void ignoresTheLaunchersOwnVariables() {
        assertThat(
                        loader.load(
                                Map.of(),
                                Optional.empty(),
                                Map.of("TIDELINE_HOME", "/opt/tideline"),
                                Map.of()))
                .isEmpty();
    }

    @Test
    void reportsAMissingFile(@TempDir Path dir) {
        assertThatThrownBy(
                        () ->
                                loader.load(
                                        Map.of(),
                                        Optional.of(dir.resolve("nope.properties")),
                                        Map.of(),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.properties");
    }
}
