package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ServingConfigTest {

    private static final Map<String, String> BASE =
            Map.of(
                    "tideline.kafka.bootstrap-servers",
                    "k:9092",
                    "tideline.registry.url",
                    "http://r",
                    ServingConfig.SPEC_FINGERPRINT,
                    "f".repeat(64),
                    ServingConfig.INPUT_WIDTH,
                    "24");

    @Test
    void namesTheTransactionalIdAfterGroupAndInstance() {
        var values = new java.util.HashMap<>(BASE);
        values.put(ServingConfig.INSTANCE_ID, "replica-3");
        values.put(ServingConfig.DEVICE, "CUDA");

        ServingConfig config = new ServingConfig(values);

        try (InstanceLease lease = config.claimInstance()) {
            assertThat(config.transactionalId(lease.id())).isEqualTo("tideline-serving-replica-3");
        }
        assertThat(config.scoringOptions().device()).isEqualTo(ScoringDevice.CUDA);
    }

    @Test
    void refusesABadDeviceAnUnknownKeyAndAMissingSpecByName() {
        var bad = new java.util.HashMap<>(BASE);
        bad.put(ServingConfig.DEVICE, "tpu");
        assertThatThrownBy(() -> new ServingConfig(bad))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ServingConfig.DEVICE);
        assertThatThrownBy(
                        () ->
                                new ServingMain()
                                        .load(
                                                Optional.empty(),
                                                Map.of(),
                                                Map.of("tideline.serving.max-batches", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.serving.max-batches");
        assertThatThrownBy(
                        () ->
                                new ServingConfig(
                                        Map.of(
                                                "tideline.kafka.bootstrap-servers",
                                                "k",
                                                "tideline.registry.url",
                                                "r",
                                                ServingConfig.INPUT_WIDTH,
                                                "3")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ServingConfig.SPEC_FINGERPRINT);
    }

    @Test
    void readsShadowAndArtifactSettingsAndRefusesABreakerLargerThanItsWindow() {
        var values = new java.util.HashMap<>(BASE);
        values.put(ServingConfig.SHADOW_EVENTS, "5000");
        values.put(ServingConfig.BREAKER_OPEN_MS, "1500");
        ServingConfig config = new ServingConfig(values);
        assertThat(config.shadow().events()).isEqualTo(5000);
        assertThat(config.shadow().threshold()).isEqualTo(0.5);
        assertThat(config.artifacts().openFor()).isEqualTo(java.time.Duration.ofMillis(1500));

        values.put(ServingConfig.BREAKER_FAILURES, "6");
        assertThatThrownBy(() -> new ServingConfig(values))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ServingConfig.BREAKER_FAILURES)
                .hasMessageContaining(ServingConfig.BREAKER_WINDOW);
        values.remove(ServingConfig.BREAKER_FAILURES);
        values.put(ServingConfig.SHADOW_THRESHOLD, "1.5");
        assertThatThrownBy(() -> new ServingConfig(values))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ServingConfig.SHADOW_THRESHOLD);
    }
}
