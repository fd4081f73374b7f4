package dev.tideline.cli;

import dev.tideline.localstack.LocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.config.ConfigLoader;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;

/** The CLI's resolved settings: flags over environment over file over defaults. */
final class Settings {

    static final String BOOTSTRAP = "tideline.kafka.bootstrap-servers";
    static final String CLIENT_PREFIX = "tideline.kafka.client.";
    static final String REGISTRY_URL = "tideline.registry.url";
    static final String REGISTRY_USER_INFO = "tideline.registry.basic-auth.user-info";
    static final String REGISTRY_TOKEN = "tideline.registry.bearer-token";
    static final String REGISTRY_AUTO_REGISTER = "tideline.registry.auto-register";

    private static final Set<String> KEYS = new HashSet<>();

    static {
        KEYS.addAll(
                List.of(
                        BOOTSTRAP,
                        REGISTRY_URL,
                        REGISTRY_USER_INFO,
                        REGISTRY_TOKEN,
                        REGISTRY_AUTO_REGISTER));
        KEYS.addAll(TopicCatalogConfig.DEFINITION.names());
        KEYS.addAll(LocalStack.Builder.KEYS);
    }

    private final Map<String, String> values;
    private final Optional<StackState> stack;

    private Settings(Map<String, String> values, Optional<StackState> stack) {
        this.values = values;
        this.stack = stack;
    }

    /** Loads every layer; a running local stack supplies addresses not given otherwise. */
    static Settings load(CommonOptions options) {
        Map<String, String> values =
                new ConfigLoader(KEYS, List.of(CLIENT_PREFIX))
                        .load(
                                Map.of(),
                                Optional.ofNullable(options.configFile),
                                System.getenv(),
                                options.overrides());
        return new Settings(values, StackState.readLive(StackState.defaultFile()));
    }

    Map<String, String> values() {
        return values;
    }

    String bootstrap() {
        return Optional.ofNullable(values.get(BOOTSTRAP))
                .or(() -> stack.map(StackState::bootstrap))
                .orElseThrow(
                        () ->
                                new ConfigException(
                                        "no Kafka address: pass --bootstrap, set "
                                                + BOOTSTRAP
                                                + ", or start a local stack with"
                                                + " './tideline stack up'"));
    }

    String registryUrl() {
        return Optional.ofNullable(values.get(REGISTRY_URL))
                .or(() -> stack.map(StackState::registry))
                .orElseThrow(
                        () ->
                                new ConfigException(
                                        "no schema registry: pass --registry, set "
                                                + REGISTRY_URL
                                                + ", or start a local stack with"
                                                + " './tideline stack up'"));
    }

    /** The registry client's settings, in the Confluent keys it understands. */
    SchemaRegistryClient registry() {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryClientConfig.URL, registryUrl());
        if (values.containsKey(REGISTRY_USER_INFO)) {
            config.put(RegistryClientConfig.BASIC_AUTH_SOURCE, "USER_INFO");
            config.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, values.get(REGISTRY_USER_INFO));
        }
        if (values.containsKey(REGISTRY_TOKEN)) {
            config.put(RegistryClientConfig.BEARER_AUTH_SOURCE, "STATIC_TOKEN");
            config.put(RegistryClientConfig.BEARER_AUTH_TOKEN, values.get(REGISTRY_TOKEN));
        }
        if (values.containsKey(REGISTRY_AUTO_REGISTER)) {
            config.put(RegistryClientConfig.AUTO_REGISTER, values.get(REGISTRY_AUTO_REGISTER));
        }
        return new SchemaRegistryClient(RegistryClientConfig.from(config));
    }

    /** Kafka client settings: bootstrap plus every {@code tideline.kafka.client.*} key. */
    Map<String, Object> kafkaClient() {
        Map<String, Object> config = new HashMap<>();
        values.forEach(
                (k, v) -> {
                    if (k.startsWith(CLIENT_PREFIX)) {
                        config.put(k.substring(CLIENT_PREFIX.length()), v);
                    }
                });
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return config;
    }

    TopicCatalogConfig catalogConfig() {
        Map<String, String> catalog = new HashMap<>();
        stack.ifPresent(s -> catalog.put(TopicCatalogConfig.PREFIX, s.prefix()));
        values.forEach(
                (k, v) -> {
                    if (TopicCatalogConfig.DEFINITION.names().contains(k)) {
                        catalog.put(k, v);
                    }
                });
        return new TopicCatalogConfig(catalog);
    }

    TopicCatalog catalog(SchemaRegistryClient registry) {
        return TopicCatalog.create(catalogConfig(), registry);
    }
}
