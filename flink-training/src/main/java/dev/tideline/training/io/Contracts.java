package dev.tideline.training.io;

import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalog;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The job's view of Tideline's contracts: the settings from which each Flink task builds its own
 * topic catalog and registry-aware serdes (neither is serializable, so they are made where they
 * run, once per task).
 */
public final class Contracts implements Serializable {

    private final HashMap<String, String> values;
    private transient TopicCatalog catalog;

    public Contracts(Map<String, String> values) {
        this.values = new HashMap<>(values);
    }

    public TopicCatalog catalog() {
        if (catalog == null) {
            String url = values.get(ClientSettings.REGISTRY_URL);
            catalog = ClientSettings.catalog(values, ClientSettings.registry(url, values));
        }
        return catalog;
    }

    public Map<String, Object> kafkaClient() {
        Map<String, Object> c = ClientSettings.kafkaClient(values, "tideline.training.");
        c.put("bootstrap.servers", values.get(ClientSettings.BOOTSTRAP));
        return c;
    }
}
