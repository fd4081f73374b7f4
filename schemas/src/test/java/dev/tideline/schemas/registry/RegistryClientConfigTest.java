package dev.tideline.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryClientConfigTest {

    @Test
    void requiresTheRegistryUrl() {
        assertThatThrownBy(() -> RegistryClientConfig.from(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void acceptsSeveralUrlsAndStripsTrailingSlashes() {
        RegistryClientConfig config =
                RegistryClientConfig.from(
                        Map.of("schema.registry.url", "http://a:8081/,https://b/apis/ccompat/v7"));
        assertThat(config.urls())
                .containsExactly(
                        URI.create("http://a:8081"), URI.create("https://b/apis/ccompat/v7"));
        assertThat(config.authorization()).isEmpty();
        assertThat(config.autoRegister()).isTrue();
    }

    @Test
    void buildsABasicAuthHeaderFromUserInfo() {
        RegistryClientConfig config =
                RegistryClientConfig.from(
                        Map.of(
                                "schema.registry.url", "https://sr.example",
                                "basic.auth.credentials.source", "USER_INFO",
                                "basic.auth.user.info", "key:secret"));
        assertThat(config.authorization()).contains("Basic a2V5OnNlY3JldA==");
    }

    @Test
    void takesBasicAuthFromTheUrlAndRemovesItFromTheUrl() {
        RegistryClientConfig config =
                RegistryClientConfig.from(
                        Map.of(
                                "schema.registry.url", "https://key:secret@sr.example:443/x",
                                "basic.auth.credentials.source", "URL"));
        assertThat(config.authorization()).contains("Basic a2V5OnNlY3JldA==");
        assertThat(config.urls()).containsExactly(URI.create("https://sr.example:443/x"));
    }

    @Test
    void sendsAStaticBearerToken() {
        RegistryClientConfig config =
                RegistryClientConfig.from(
                        Map.of(
                                "schema.registry.url", "https://sr.example",
                                "bearer.auth.credentials.source", "STATIC_TOKEN",
                                "bearer.auth.token", "tkn"));
        assertThat(config.authorization()).contains("Bearer tkn");
    }

    @Test
    void refusesBasicAuthWithoutUserInfo() {
        assertThatThrownBy(
                        () ->
                                RegistryClientConfig.from(
                                        Map.of(
                                                "schema.registry.url", "https://sr.example",
                                                "basic.auth.credentials.source", "USER_INFO")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic.auth.user.info");
    }

    @Test
    void refusesBasicAndBearerTogether() {
        assertThatThrownBy(
                        () ->
                                RegistryClientConfig.from(
                                        Map.of(
                                                "schema.registry.url", "https://sr.example",
                                                "basic.auth.credentials.source", "USER_INFO",
                                                "basic.auth.user.info", "a:b",
                                                "bearer.auth.credentials.source", "STATIC_TOKEN",
                                                "bearer.auth.token", "t")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bearer.auth.credentials.source");
    }

    @Test
    void refusesAnUnknownCredentialsSource() {
        assertThatThrownBy(
                        () ->
                                RegistryClientConfig.from(
                                        Map.of(
                                                "schema.registry.url", "https://sr.example",
                                                "basic.auth.credentials.source", "SASL_INHERIT")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic.auth.credentials.source");
    }

    @Test
    void refusesANonHttpUrl() {
        assertThatThrownBy(() -> RegistryClientConfig.forUrl("ftp://sr.example"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void refusesATruststoreItCannotReadNamingTheKey(@TempDir Path dir) throws Exception {
        Path notAStore = Files.writeString(dir.resolve("truststore.p12"), "not a keystore");
        assertThatThrownBy(
                        () ->
                                RegistryClientConfig.from(
                                        Map.of(
                                                RegistryClientConfig.URL,
                                                "https://registry:8081",
                                                RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                                                notAStore.toString(),
                                                RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD,
                                                "secret")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(RegistryClientConfig.SSL_TRUSTSTORE_LOCATION)
                .hasMessageNotContaining("secret");
    }

    @Test
    void resolvesConfigProviderReferencesInItsSecrets(@TempDir Path dir) throws Exception {
        Path secrets = Files.writeString(dir.resolve("registry.properties"), "user-info=u:p\n");
        RegistryClientConfig config =
                RegistryClientConfig.from(
                        Map.of(
                                RegistryClientConfig.URL,
                                "https://registry:8081",
                                RegistryClientConfig.BASIC_AUTH_SOURCE,
                                "USER_INFO",
                                RegistryClientConfig.BASIC_AUTH_USER_INFO,
                                "${file:" + secrets + ":user-info}",
                                "config.providers",
                                "file",
                                "config.providers.file.class",
                                "org.apache.kafka.common.config.provider.FileConfigProvider"));
        assertThat(config.authorization()).contains("Basic dTpw");
    }
}
