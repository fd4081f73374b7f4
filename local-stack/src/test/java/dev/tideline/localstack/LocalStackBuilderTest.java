package dev.tideline.localstack;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalStackBuilderTest {

    @Test
    void refusesUnknownSettingNamingTheKey() {
        assertThatThrownBy(
                        () ->
                                LocalStack.builder()
                                        .configure(Map.of("tideline.stack.kafka.broker", "3")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tideline.stack.kafka.broker")
                .hasMessageContaining("tideline.stack.kafka.brokers");
    }

    @Test
    void refusesNonNumericBrokerCountNamingTheKey() {
        assertThatThrownBy(
                        () ->
                                LocalStack.builder()
                                        .configure(Map.of("tideline.stack.kafka.brokers", "three")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tideline.stack.kafka.brokers must be a positive integer, got 'three'");
    }

    @Test
    void refusesRegistryUrlWithoutScheme() {
        assertThatThrownBy(
                        () ->
                                LocalStack.builder()
                                        .configure(
                                                Map.of(
                                                        "tideline.stack.registry.url",
                                                        "registry:8081")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tideline.stack.registry.url");
    }

    @Test
    void refusesDatabaseUserWithoutUrl() {
        assertThatThrownBy(
                        () ->
                                LocalStack.builder()
                                        .configure(Map.of("tideline.stack.postgres.user", "app"))
                                        .start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tideline.stack.postgres.jdbc-url");
    }

    @Test
    void ignoresSettingsOfOtherComponents() {
        assertThatCode(
                        () ->
                                LocalStack.builder()
                                        .configure(Map.of("tideline.serving.batch-size", "512")))
                .doesNotThrowAnyException();
    }
}
