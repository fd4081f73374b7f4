package dev.tideline.ops.config;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
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

    /**
     * Prefixes of one engine's own raw Kafka client settings, over {@link #CLIENT_PREFIX}'s: {@code
     * tideline.features.kafka.client.sasl.jaas.config} gives the feature stage its own credentials
     * where several engines share a configuration (the demo's one JVM, one Compose environment).
     * Each engine reads its own and ignores the others'.
     */
    public static final List<String> ENGINE_CLIENT_PREFIXES =
            List.of(
                    "tideline.features.kafka.client.",
                    "tideline.serving.kafka.client.",
                    "tideline.cdc.kafka.client.",
                    "tideline.training.kafka.client.");

    public static final String REGISTRY_URL = "tideline.registry.url";
    public static final String REGISTRY_USER_INFO = "tideline.registry.basic-auth.user-info";
    public static final String REGISTRY_TOKEN = "tideline.registry.bearer-token";
    public static final String REGISTRY_AUTO_REGISTER = "tideline.registry.auto-register";
    public static final String REGISTRY_TRUSTSTORE_LOCATION =
            "tideline.registry.ssl.truststore.location";
    public static final String REGISTRY_TRUSTSTORE_PASSWORD =
            "tideline.registry.ssl.truststore.password";
    public static final String REGISTRY_TRUSTSTORE_TYPE = "tideline.registry.ssl.truststore.type";

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
                                REGISTRY_AUTO_REGISTER,
                                REGISTRY_TRUSTSTORE_LOCATION,
                                REGISTRY_TRUSTSTORE_PASSWORD,
                                REGISTRY_TRUSTSTORE_TYPE));
        keys.addAll(TopicCatalogConfig.DEFINITION.names());
        KEYS = Set.copyOf(keys);
    }

    private ClientSettings() {}

    /**
     * A config-provider reference such as {@code ${file:/run/secrets/kafka.properties:password}}.
     */
    private static final Pattern PROVIDER_REFERENCE = Pattern.compile("\\$\\{[^}:]+:[^}]*}");

    /**
     * Whether {@code key} holds a secret: a registry credential, or a Kafka client setting of type
     * PASSWORD (a JAAS configuration, a key or store password), shared or one engine's.
     */
    public static boolean isSecret(String key) {
        if (key.equals(REGISTRY_USER_INFO)
                || key.equals(REGISTRY_TOKEN)
                || key.equals(REGISTRY_TRUSTSTORE_PASSWORD)) {
            return true;
        }
        List<String> prefixes = new ArrayList<>(ENGINE_CLIENT_PREFIXES);
        prefixes.add(CLIENT_PREFIX);
        for (String prefix : prefixes) {
            if (key.startsWith(prefix)) {
                String client = key.substring(prefix.length());
                for (ConfigDef def :
                        List.of(ProducerConfig.configDef(), ConsumerConfig.configDef())) {
                    ConfigDef.ConfigKey k = def.configKeys().get(client);
                    if (k != null && k.type == Type.PASSWORD) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether {@code value} is, in its whole, a config-provider reference ({@code ${p:...}}). */
    public static boolean isProviderReference(String value) {
        return value != null && PROVIDER_REFERENCE.matcher(value.trim()).matches();
    }

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

    /**
     * The registry client's settings in the Confluent keys it understands. Secrets in them may be
     * config-provider references ({@code ${file:PATH:KEY}}, {@code ${env:VAR}}), resolved with the
     * providers the Kafka client settings declare ({@code tideline.kafka.client.config.providers}).
     */
    public static SchemaRegistryClient registry(String url, Map<String, String> values) {
        Map<String, Object> config = new HashMap<>();
        String providers = CLIENT_PREFIX + "config.providers";
        values.forEach(
                (k, v) -> {
                    if (k.startsWith(providers)) {
                        config.put(k.substring(CLIENT_PREFIX.length()), v);
                    }
                });
        config.put(RegistryClientConfig.URL, url);
        if (values.containsKey(REGISTRY_USER_INFO)) {
            config.put(RegistryClientConfig.BASIC_AUTH_SOURCE, "USER_INFO");
            config.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, values.get(REGISTRY_USER_INFO));
        }
        if (values.containsKey(REGISTRY_TOKEN)) {
            config.put(RegistryClientConfig.BEARER_AUTH_SOURCE, "STATIC_TOKEN");
            config.put(RegistryClientConfig.BEARER_AUTH_TOKEN, values.get(REGISTRY_TOKEN));
        }
        if (values.containsKey(REGISTRY_TRUSTSTORE_LOCATION)) {
            config.put(
                    RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
                    values.get(REGISTRY_TRUSTSTORE_LOCATION));
        }
        if (values.containsKey(REGISTRY_TRUSTSTORE_PASSWORD)) {
            config.put(
                    RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD,
                    values.get(REGISTRY_TRUSTSTORE_PASSWORD));
        }
        if (values.containsKey(REGISTRY_TRUSTSTORE_TYPE)) {
            config.put(
                    RegistryClientConfig.SSL_TRUSTSTORE_TYPE, values.get(REGISTRY_TRUSTSTORE_TYPE));
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

    /**
     * An engine's raw client settings: {@code tideline.kafka.client.*}, then its own {@code
     * <enginePrefix>kafka.client.*} over them.
     *
     * @param enginePrefix such as {@code tideline.features.}
     */
    public static Map<String, Object> kafkaClient(Map<String, String> values, String enginePrefix) {
        Map<String, Object> config = kafkaClient(values);
        String own = enginePrefix + "kafka.client.";
        values.forEach(
                (k, v) -> {
                    if (k.startsWith(own)) {
                        config.put(k.substring(own.length()), v);
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
