package dev.tideline.ops.config;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The settings every Tideline app shares to reach the cluster: Kafka's address, raw client
 * settings, the schema registry and the topic catalog. Each app adds its own keys beside these.
 */
public final class ClientSettings {

    public static final String BOOTSTRAP = "tideline.kafka.bootstrap-servers";

    /**
     * Prefix of raw Kafka client settings applied to every client: {@code
     * tideline.kafka.client.security.protocol}.
     */
    public static final String CLIENT_PREFIX = "tideline.kafka.client.";

    public static final String REGISTRY_URL = "tideline.registry.url";
    public static final String REGISTRY_USER_INFO = "tideline.registry.basic-auth.user-info";
    public static final String REGISTRY_TOKEN = "tideline.registry.bearer-token";
    public static final String REGISTRY_AUTO_REGISTER = "tideline.registry.auto-register";

    /** Every key defined here, catalog keys included. */
    public static final Set<String> KEYS;

    static {
        Set<String> keys =
                new TreeSet<>(
                        List.of(
                                BOOTSTRAP,
                                REGISTRY_URL,
                                REGISTRY_USER_INFO,
                                REGISTRY_TOKEN,
                                REGISTRY_AUTO_REGISTER));
        keys.addAll(TopicCatalogConfig.DEFINITION.names());
        KEYS = Set.copyOf(keys);
    }

    private ClientSettings() {}

    /** An app's config definition, starting with the two addresses every app needs. */
    public static ConfigDef definition() {
        return new ConfigDef()
                .define(
                        BOOTSTRAP,
                        Type.STRING,
                        ConfigDef.NO_DEFAULT_VALUE,
                        new ConfigDef.NonEmptyString(),
                        Importance.HIGH,
                        "Kafka bootstrap servers.")
                .define(
                        REGISTRY_URL,
                        Type.STRING,
                        ConfigDef.NO_DEFAULT_VALUE,
                        new ConfigDef.NonEmptyString(),
                        Importance.HIGH,
                        "Schema registry URL (Confluent API).");
    }

    /** The entries of {@code values} that {@code definition} declares. */
    public static Map<String, String> declared(ConfigDef definition, Map<String, String> values) {
        Map<String, String> own = new HashMap<>();
        values.forEach(
                (k, v) -> {
                    if (definition.names().contains(k)) {
                        own.put(k, v);
                    }
                });
        return own;
    }

    /** The registry client's settings in the Confluent keys it understands. */
    public static SchemaRegistryClient registry(String url, Map<String, String> values) {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryClientConfig.URL, url);
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

    /** Raw client settings: every {@code tideline.kafka.client.*} key, prefix removed. */
    public static Map<String, Object> kafkaClient(Map<String, String> values) {
        Map<String, Object> config = new HashMap<>();
        values.forEach(
                (k, v) -> {
                    if (k.startsWith(CLIENT_PREFIX)) {
                        config.put(k.substring(CLIENT_PREFIX.length()), v);
                    }
                });
        return config;
    }

    /** The catalog keys among {@code values}, over {@code base}. */
    public static TopicCatalogConfig catalogConfig(
            Map<String, String> base, Map<String, String> values) {
        Map<String, String> catalog = new HashMap<>(base);
        values.forEach(
                (k, v) -> {
                    if (TopicCatalogConfig.DEFINITION.names().contains(k)) {
                        catalog.put(k, v);
                    }
                });
        return new TopicCatalogConfig(catalog);
    }

    public static TopicCatalog catalog(Map<String, String> values, SchemaRegistryClient registry) {
        return TopicCatalog.create(catalogConfig(Map.of(), values), registry);
    }
}
