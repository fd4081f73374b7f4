package dev.tideline.connectors.connect;

import io.debezium.connector.postgresql.PostgresConnector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Debezium's PostgreSQL connector, unchanged except for validation: Debezium 3.6.1 returns no value
 * for some keys of its own definition ({@code internal.legacy.snapshot.max.threads}), and Kafka
 * Connect 4.3 dereferences every key's value when a connector is created, failing with a
 * NullPointerException. This fills in an error-free value for each missing key.
 */
public final class PostgresSourceConnector extends PostgresConnector {

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = super.validate(connectorConfigs);
        Set<String> present = new HashSet<>();
        config.configValues().forEach(v -> present.add(v.name()));
        List<ConfigValue> values = new ArrayList<>(config.configValues());
        for (String name : config().names()) {
            if (!present.contains(name)) {
                values.add(new ConfigValue(name, connectorConfigs.get(name), List.of(), List.of()));
            }
        }
        return new Config(values);
    }
}
