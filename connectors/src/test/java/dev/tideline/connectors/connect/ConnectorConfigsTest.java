package dev.tideline.connectors.connect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The versioned Kafka Connect configs in connectors/connect, checked against Debezium's own
 * definitions.
 */
class ConnectorConfigsTest {

    private static final Path DIR =
            Path.of(System.getProperty("tideline.connect.configs", "connect"));
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> configs() throws IOException {
        return Files.list(DIR).filter(p -> p.toString().endsWith(".json")).sorted();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void isValidForTheConnectorAndItsTransforms(Path file) throws IOException {
        Map<String, String> config = config(file);

        assertThat(ConnectorConfigValidator.validate(config)).isEmpty();
        assertThat(config)
                .containsEntry("plugin.name", "pgoutput")
                .containsEntry(
                        "value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter")
                .containsEntry("transforms.contract.type", ContractTransform.class.getName());
        // Secrets come from a config provider, never inline.
        assertThat(config.get("database.password")).startsWith("${file:");
        assertThat(config.get("database.user")).startsWith("${file:");
    }

    @ParameterizedTest
    @MethodSource("configs")
    void failsOnATypoInAKey(Path file) throws IOException {
        Map<String, String> config = new HashMap<>(config(file));
        config.put("plugin.nmae", config.remove("plugin.name"));
        config.put("transforms.contract.topics.prefx", "x");

        assertThat(ConnectorConfigValidator.validate(config))
                .anySatisfy(e -> assertThat(e).startsWith("plugin.nmae: not a setting"))
                .anySatisfy(
                        e ->
                                assertThat(e)
                                        .startsWith(
                                                "transforms.contract.topics.prefx: not a setting"));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void failsOnABadValue(Path file) throws IOException {
        Map<String, String> config = new HashMap<>(config(file));
        config.put("snapshot.mode", "sometimes");
        config.put("tasks.max", "many");

        List<String> errors = ConnectorConfigValidator.validate(config);
        assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("snapshot.mode"));
        assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("tasks.max"));
    }

    private static Map<String, String> config(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        assertThat(root.get("name").asText()).startsWith("tideline-cdc-");
        return JSON.convertValue(root.get("config"), new TypeReference<Map<String, String>>() {});
    }
}
