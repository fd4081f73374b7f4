package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureConfigTest {

    private static final Map<String, String> REQUIRED =
            Map.of(
                    "tideline.kafka.bootstrap-servers",
                    "k:9092",
                    "tideline.registry.url",
                    "http://r:8080");

    @Test
    void layersFileEnvironmentAndFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("features.properties");
        Files.writeString(
                file,
                "tideline.kafka.bootstrap-servers=file:9092\n"
                        + "tideline.registry.url=http://r\n"
                        + "tideline.features.num-standby-replicas=1\n");

        FeatureConfig config =
                new FeatureMain()
                        .load(
                                Optional.of(file),
                                Map.of(
                                        "TIDELINE_FEATURES_NUM_STANDBY_REPLICAS",
                                        "2",
                                        "TIDELINE_FEATURES_STREAMS_MAX_TASK_IDLE_MS",
                                        "5"),
                                Map.of("tideline.kafka.bootstrap-servers", "flag:9092"));

        assertThat(config.bootstrap()).isEqualTo("flag:9092");
        assertThat(config.getInt(FeatureConfig.STANDBY_REPLICAS)).isEqualTo(2);
        assertThat(config.streamsOverrides()).containsEntry("max.task.idle.ms", "5");
        assertThat(config.spec().id()).isEqualTo("payments");
    }

    @Test
    void refusesAnUnknownKeyByName() {
        assertThatThrownBy(
                        () ->
                                new FeatureMain()
                                        .load(
                                                Optional.empty(),
                                                Map.of(),
                                                Map.of(
                                                        "tideline.features.num-standby-replica",
                                                        "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.features.num-standby-replica")
                .hasMessageContaining("tideline.features.num-standby-replicas");
    }

    @Test
    void refusesABadValueNamingTheKey() {
        var bad = new java.util.HashMap<>(REQUIRED);
        bad.put(FeatureConfig.COMMIT_INTERVAL, "100ms");
        assertThatThrownBy(() -> new FeatureConfig(bad))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(FeatureConfig.COMMIT_INTERVAL);
        assertThatThrownBy(() -> new FeatureConfig(Map.of("tideline.registry.url", "http://r")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.kafka.bootstrap-servers");
    }

    @Test
    void refusesAnEntityTtlShorterThanTheSpecsWindowsNamingTheKey() {
        var config = new java.util.HashMap<>(REQUIRED);
        FeatureSpec spec = new FeatureConfig(config).spec();
        assertThat(new FeatureConfig(config).entityTtl(spec)).isEqualTo(Duration.ofDays(90));

        config.put(FeatureConfig.ENTITY_TTL, "PT12H");
        assertThatThrownBy(() -> new FeatureConfig(config).entityTtl(spec))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(FeatureConfig.ENTITY_TTL)
                .hasMessageContaining(spec.idleAfter().toString());
        config.put(FeatureConfig.ENTITY_TTL, spec.idleAfter().toString());
        assertThat(new FeatureConfig(config).entityTtl(spec)).isEqualTo(spec.idleAfter());
    }

    @Test
    void refusesAMissingSpecFileByName() {
        var config = new java.util.HashMap<>(REQUIRED);
        config.put(FeatureConfig.SPEC, "/nonexistent/spec.yaml");
        assertThatThrownBy(() -> new FeatureConfig(config).spec())
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("/nonexistent/spec.yaml");
    }

    @Test
    void streamsRunExactlyOnceWithDeadLetterHandlers() {
        FeatureConfig config = new FeatureConfig(REQUIRED);
        TopicCatalog catalog =
                TopicCatalog.create(
                        TopicCatalogConfig.defaults(),
                        new SchemaRegistryClient(RegistryClientConfig.forUrl("http://r:8080")));

        Properties p =
                FeatureApp.streamsProperties(config, catalog, FeatureMetrics.standalone(), 7070);

        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
                .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(p.get(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEqualTo("localhost:7070");
        assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(50L);
        assertThat(p.get(StreamsConfig.POLL_MS_CONFIG))
                .as("a thread waiting in poll cannot commit")
                .isEqualTo(25L);
        assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterHandler.class.getName());
        assertThat(p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterHandler.class.getName());
        assertThat(p.get(DeadLetterHandler.TOPICS_CONFIG))
                .isEqualTo(
                        Map.of(
                                "payments.transactions.v1",
                                "payments.transactions.v1.dlq",
                                "cdc.accounts",
                                "cdc.dlq",
                                "cdc.labels",
                                "cdc.labels.dlq",
                                "tideline-features-transactions-by-entity-repartition",
                                "payments.transactions.v1.dlq",
                                "tideline-features-vectors-by-merchant-repartition",
                                "features.v1.dlq",
                                "tideline-features-frauds-by-merchant-repartition",
                                "cdc.labels.dlq"));
    }
}
