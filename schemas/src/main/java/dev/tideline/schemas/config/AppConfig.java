package dev.tideline.schemas.config;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * An engine's settings: its own keys, checked against its definition (which starts from {@link
 * ClientSettings#definition()}), plus every loaded value for the client settings and pass-through
 * prefixes, and the ways to reach the cluster that every engine needs.
 */
public abstract class AppConfig extends AbstractConfig {

    private final Map<String, String> values;

    protected AppConfig(ConfigDef definition, Map<String, String> values) {
        super(definition, ClientSettings.declared(definition, values), false);
        this.values = Map.copyOf(values);
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

    /** Raw client settings ({@code tideline.kafka.client.*}) with the bootstrap servers. */
    public Map<String, Object> kafkaClient() {
        Map<String, Object> client = ClientSettings.kafkaClient(values);
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
}
