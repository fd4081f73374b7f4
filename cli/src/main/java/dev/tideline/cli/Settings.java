package dev.tideline.cli;

import dev.tideline.connectors.CdcConfig;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureSpec;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.ops.config.ConfigLoader;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
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

    private static final Set<String> KEYS = new HashSet<>();

    static {
        KEYS.addAll(ClientSettings.KEYS);
        KEYS.addAll(LocalStack.Builder.KEYS);
        KEYS.addAll(FeatureConfig.DEFINITION.names());
        KEYS.addAll(CdcConfig.DEFINITION.names());
        KEYS.addAll(ServingConfig.DEFINITION.names());
    }

    private final Map<String, String> values;
    private final Optional<StackState> stack;

    private Settings(Map<String, String> values, Optional<StackState> stack) {
        this.values = values;
        this.stack = stack;
    }

    /** Loads every layer; a running local stack supplies addresses not given otherwise. */
    static Settings load(CommonOptions options) {
        return new Settings(
                load(Optional.ofNullable(options.configFile), options.overrides()),
                StackState.readLive(StackState.defaultFile()));
    }

    /** Flags over environment over file; a key no part knows is refused, named. */
    static Map<String, String> load(Optional<Path> file, Map<String, String> overrides) {
        List<String> prefixes = new ArrayList<>();
        prefixes.add(ClientSettings.CLIENT_PREFIX);
        prefixes.addAll(ClientSettings.ENGINE_CLIENT_PREFIXES);
        prefixes.add(FeatureConfig.STREAMS_PREFIX);
        // The training job's keys: its own JVM checks them.
        prefixes.add(TrainingProcess.PREFIX);
        return new ConfigLoader(KEYS, prefixes).load(Map.of(), file, System.getenv(), overrides);
    }

    /** The running local stack's PostgreSQL, when there is one. */
    Optional<String> stackJdbcUrl() {
        return stack.map(StackState::jdbc).filter(j -> j.startsWith("jdbc:"));
    }

    /**
     * The feature spec the settings name ({@code tideline.features.spec}), the built-in one by
     * default.
     */
    static FeatureSpec featureSpec(Map<String, String> values) {
        return FeatureSpec.resolve(
                values.getOrDefault("tideline.features.spec", "builtin:" + FeatureSpec.DEFAULT));
    }

    /**
     * The settings an engine started from the CLI loads: every value given, with the addresses and
     * topic prefix resolved (the running local stack's, unless given).
     */
    Map<String, String> engineValues() {
        Map<String, String> out = new HashMap<>(values);
        out.put(ClientSettings.BOOTSTRAP, bootstrap());
        out.put(ClientSettings.REGISTRY_URL, registryUrl());
        out.put(TopicCatalogConfig.PREFIX, catalogConfig().prefix());
        return out;
    }

    Map<String, String> values() {
        return values;
    }

    String bootstrap() {
        return Optional.ofNullable(values.get(ClientSettings.BOOTSTRAP))
                .or(() -> stack.map(StackState::bootstrap))
                .orElseThrow(
                        () ->
                                new ConfigException(
                                        "no Kafka address: pass --bootstrap, set "
                                                + ClientSettings.BOOTSTRAP
                                                + ", or start a local stack with"
                                                + " './tideline stack up'"));
    }

    String registryUrl() {
        return Optional.ofNullable(values.get(ClientSettings.REGISTRY_URL))
                .or(() -> stack.map(StackState::registry))
                .orElseThrow(
                        () ->
                                new ConfigException(
                                        "no schema registry: pass --registry, set "
                                                + ClientSettings.REGISTRY_URL
                                                + ", or start a local stack with"
                                                + " './tideline stack up'"));
    }

    /** The registry client's settings, in the Confluent keys it understands. */
    SchemaRegistryClient registry() {
        return ClientSettings.registry(registryUrl(), values);
    }

    /** Kafka client settings: bootstrap plus every {@code tideline.kafka.client.*} key. */
    Map<String, Object> kafkaClient() {
        Map<String, Object> config = ClientSettings.kafkaClient(values);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return config;
    }

    TopicCatalogConfig catalogConfig() {
        Map<String, String> base = new HashMap<>();
        stack.ifPresent(s -> base.put(TopicCatalogConfig.PREFIX, s.prefix()));
        return ClientSettings.catalogConfig(base, values);
    }

    TopicCatalog catalog(SchemaRegistryClient registry) {
        return TopicCatalog.create(catalogConfig(), registry);
    }
}
