package dev.tideline.connectors.connect;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnector;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.runtime.SourceConnectorConfig;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Checks a Kafka Connect connector configuration offline, against the connector's own config
 * definition, the Connect framework's and each transformation's: an unknown key (a typo) or a bad
 * value is an error. Values that name a config provider ({@code ${file:...}}) are resolved only by
 * the worker, so they are checked for their key alone.
 */
public final class ConnectorConfigValidator {

    private static final Pattern PROVIDED = Pattern.compile("\\$\\{[^}]+}");
    private static final List<String> CONVERTER_PREFIXES =
            List.of("key.converter.", "value.converter.", "header.converter.");

    private ConnectorConfigValidator() {}

    /** The problems found, each naming its key; empty when the configuration is valid. */
    public static List<String> validate(Map<String, String> config) {
        List<String> errors = new ArrayList<>();
        String connectorClass = config.get("connector.class");
        ConfigDef connectorDef;
        Connector connector;
        try {
            connector =
                    (Connector)
                            Class.forName(connectorClass).getDeclaredConstructor().newInstance();
            connectorDef = connector.config();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return List.of("connector.class: cannot load '" + connectorClass + "': " + e);
        }
        ConfigDef framework = SourceConnectorConfig.configDef();
        Set<String> transforms = aliases(config.get("transforms"));
        Set<String> predicates = aliases(config.get("predicates"));
        Map<String, Map<String, String>> transformConfigs = new HashMap<>();

        for (Map.Entry<String, String> e : config.entrySet()) {
            String key = e.getKey();
            if (connectorDef.names().contains(key) || framework.names().contains(key)) {
                continue;
            }
            if (CONVERTER_PREFIXES.stream().anyMatch(key::startsWith)
                    || key.startsWith("topic.creation.")) {
                continue;
            }
            String alias = aliasOf(key, "transforms.");
            if (alias != null && transforms.contains(alias)) {
                transformConfigs
                        .computeIfAbsent(alias, a -> new HashMap<>())
                        .put(key.substring(("transforms." + alias + ".").length()), e.getValue());
                continue;
            }
            String predicate = aliasOf(key, "predicates.");
            if (predicate != null && predicates.contains(predicate)) {
                continue;
            }
            errors.add(
                    key
                            + ": not a setting of "
                            + connectorClass
                            + ", of Kafka Connect, or of a declared transformation");
        }
        Map<String, String> connectorValues = withoutProvided(config, connectorDef);
        if (connector instanceof PostgresConnector) {
            // Debezium validates its fields itself (enumerations, ranges, dependencies), beyond the
            // ConfigDef it reports to Connect.
            Map<String, ConfigValue> results =
                    Configuration.from(connectorValues)
                            .validate(PostgresConnectorConfig.ALL_FIELDS);
            results.values()
                    .forEach(
                            v -> {
                                if (connectorValues.containsKey(v.name())
                                        && !v.errorMessages().isEmpty()) {
                                    errors.add(
                                            v.name() + ": " + String.join("; ", v.errorMessages()));
                                }
                            });
        } else {
            errors.addAll(check("", connectorDef, connectorValues));
        }
        errors.addAll(check("", framework, withoutProvided(config, framework)));
        for (String alias : transforms) {
            Map<String, String> t = transformConfigs.getOrDefault(alias, Map.of());
            String type = t.get("type");
            if (type == null) {
                errors.add("transforms." + alias + ".type: missing");
                continue;
            }
            ConfigDef def;
            try {
                Transformation<?> transformation =
                        (Transformation<?>)
                                Class.forName(type).getDeclaredConstructor().newInstance();
                def = transformation.config();
            } catch (ReflectiveOperationException | RuntimeException ex) {
                errors.add("transforms." + alias + ".type: cannot load '" + type + "': " + ex);
                continue;
            }
            Map<String, String> own = new HashMap<>(t);
            own.remove("type");
            own.remove("negate");
            own.remove("predicate");
            for (String key : own.keySet()) {
                if (!def.names().contains(key)) {
                    errors.add("transforms." + alias + "." + key + ": not a setting of " + type);
                }
            }
            errors.addAll(check("transforms." + alias + ".", def, withoutProvided(own, def)));
        }
        return errors;
    }

    private static List<String> check(String prefix, ConfigDef def, Map<String, String> values) {
        List<String> errors = new ArrayList<>();
        for (ConfigValue v : def.validate(values)) {
            // Only keys the config sets: required keys the connector fills in itself are not ours
            // to judge.
            if (values.containsKey(v.name()) && !v.errorMessages().isEmpty()) {
                errors.add(prefix + v.name() + ": " + String.join("; ", v.errorMessages()));
            }
        }
        return errors;
    }

    /**
     * Drops values a config provider supplies at run time, keeping only keys that exist in the
     * definition.
     */
    private static Map<String, String> withoutProvided(Map<String, String> config, ConfigDef def) {
        return config.entrySet().stream()
                .filter(
                        e ->
                                def.names().contains(e.getKey())
                                        && !PROVIDED.matcher(e.getValue()).find())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static Set<String> aliases(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }

    private static String aliasOf(String key, String prefix) {
        if (!key.startsWith(prefix)) {
            return null;
        }
        int dot = key.indexOf('.', prefix.length());
        return dot < 0 ? null : key.substring(prefix.length(), dot);
    }
}
