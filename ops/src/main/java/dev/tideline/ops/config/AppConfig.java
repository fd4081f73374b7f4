package dev.tideline.ops.config;

import dev.tideline.ops.OpsServer;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * An engine's settings: its own keys under its prefix ({@code tideline.cdc.}), checked against its
 * definition (which starts from {@link #definition}), plus every loaded value for the client
 * settings and pass-through prefixes, and the ways to reach the cluster that every engine needs.
 */
public abstract class AppConfig extends AbstractConfig {

    private final String prefix;
    private final Map<String, String> values;

    /**
     * @param prefix the engine's key prefix, such as {@code tideline.serving.}
     */
    protected AppConfig(ConfigDef definition, String prefix, Map<String, String> values) {
        super(definition, ClientSettings.declared(definition, values), false);
        this.prefix = prefix;
        this.values = Map.copyOf(values);
        // The topic catalog's keys are every engine's: a bad value refuses the start here, with
        // the engine's own, rather than when the catalog is first built.
        ClientSettings.catalogConfig(Map.of(), values);
    }

    /**
     * An engine's definition: the client settings every engine shares, and its {@code /health} and
     * {@code /metrics} address, {@code <prefix>http.host} and {@code <prefix>http.port}.
     */
    public static ConfigDef definition(String prefix, int httpPort, String serves) {
        return ClientSettings.definition()
                .define(
                        prefix + "http.host",
                        Type.STRING,
                        "0.0.0.0",
                        Importance.LOW,
                        "Address of " + serves + ".")
                .define(
                        prefix + "http.port",
                        Type.INT,
                        httpPort,
                        ConfigDef.Range.between(-1, 65535),
                        Importance.MEDIUM,
                        "Port of " + serves + "; 0 picks a free port, -1 turns it off.");
    }

    /**
     * Loads an engine's settings in layers (defaults, file, environment, flags), refusing any key
     * that is neither the engine's, a client setting, nor under one of its pass-through prefixes.
     */
    public static Map<String, String> load(
            ConfigDef definition,
            List<String> passthroughPrefixes,
            Optional<Path> file,
            Map<String, String> environment,
            Map<String, String> overrides) {
        Set<String> keys = new TreeSet<>(definition.names());
        keys.addAll(ClientSettings.KEYS);
        List<String> prefixes = new ArrayList<>(passthroughPrefixes);
        prefixes.add(ClientSettings.CLIENT_PREFIX);
        prefixes.addAll(ClientSettings.ENGINE_CLIENT_PREFIXES);
        return new ConfigLoader(keys, prefixes).load(Map.of(), file, environment, overrides);
    }

    /** Every loaded value, including pass-through settings the definition does not declare. */
    public Map<String, String> values() {
        return values;
    }

    public String bootstrap() {
        return getString(ClientSettings.BOOTSTRAP);
    }

    public String registryUrl() {
        return getString(ClientSettings.REGISTRY_URL);
    }

    /**
     * Raw client settings ({@code tideline.kafka.client.*}, then the engine's own {@code
     * <prefix>kafka.client.*}) with the bootstrap servers.
     */
    public Map<String, Object> kafkaClient() {
        Map<String, Object> client = ClientSettings.kafkaClient(values, prefix);
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return client;
    }

    public SchemaRegistryClient registry() {
        return ClientSettings.registry(registryUrl(), values);
    }

    /** The topic catalog, with its own registry client. */
    public TopicCatalog catalog() {
        return ClientSettings.catalog(values, registry());
    }

    /** The key of the {@code /health} and {@code /metrics} port. */
    public String httpPortKey() {
        return prefix + "http.port";
    }

    public String httpHost() {
        return getString(prefix + "http.host");
    }

    /** The configured port: 0 picks one, -1 means none. */
    public int httpPort() {
        return getInt(httpPortKey());
    }

    /**
     * Serves {@code /health} and {@code /metrics} at the configured address; empty when the port is
     * -1.
     */
    public Optional<OpsServer> startHttp(
            PrometheusMeterRegistry registry, Function<String, OpsServer.Health> health) {
        int port = httpPort();
        return port < 0
                ? Optional.empty()
                : Optional.of(OpsServer.start(httpHost(), port, httpPortKey(), registry, health));
    }
}
