package dev.tideline.ops.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClientSettingsTest {

    @Test
    void anEnginesOwnClientSettingsOverTheSharedOnesAndNotAnothersEngine() {
        Map<String, String> values =
                Map.of(
                        "tideline.kafka.client.security.protocol", "SASL_SSL",
                        "tideline.kafka.client.sasl.jaas.config", "shared",
                        "tideline.features.kafka.client.sasl.jaas.config", "features",
                        "tideline.serving.kafka.client.sasl.jaas.config", "serving",
                        "tideline.features.state-dir", "/tmp/x");

        assertThat(ClientSettings.kafkaClient(values, "tideline.features."))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("security.protocol", "SASL_SSL", "sasl.jaas.config", "features"));
        assertThat(ClientSettings.kafkaClient(values, "tideline.cdc."))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("security.protocol", "SASL_SSL", "sasl.jaas.config", "shared"));
    }

    @Test
    void passwordTypeClientSettingsAndRegistryCredentialsAreSecrets() {
        assertThat(ClientSettings.isSecret("tideline.kafka.client.sasl.jaas.config")).isTrue();
        assertThat(ClientSettings.isSecret("tideline.serving.kafka.client.ssl.key.password"))
                .isTrue();
        assertThat(ClientSettings.isSecret("tideline.registry.bearer-token")).isTrue();
        assertThat(ClientSettings.isSecret("tideline.kafka.client.security.protocol")).isFalse();
        assertThat(ClientSettings.isSecret("tideline.training.signing-key")).isFalse();

        assertThat(ClientSettings.isProviderReference("${file:/run/secrets/k.properties:jaas}"))
                .isTrue();
        assertThat(ClientSettings.isProviderReference("${env:KAFKA_PASSWORD}")).isTrue();
        assertThat(ClientSettings.isProviderReference("org.apache...required password=\"x\";"))
                .isFalse();
        assertThat(ClientSettings.isProviderReference("pre ${env:X}")).isFalse();
    }

    @Test
    void anEnginesLoaderAcceptsEveryEnginesClientSettingsFromTheEnvironment() {
        ConfigLoader loader =
                new ConfigLoader(
                        List.of("tideline.topics.partitions"),
                        ClientSettings.ENGINE_CLIENT_PREFIXES);
        assertThat(
                        loader.load(
                                Map.of(),
                                Optional.empty(),
                                Map.of(
                                        "TIDELINE_TRAINING_KAFKA_CLIENT_SASL_JAAS_CONFIG",
                                        "training"),
                                Map.of()))
                .containsEntry("tideline.training.kafka.client.sasl.jaas.config", "training");
    }
}
