package dev.tideline.ops.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigException;

/**
 * Loads an app's settings in layers: defaults, then a properties file, then {@code TIDELINE_*}
 * environment variables, then explicit overrides (command-line flags); each layer wins over the one
 * before.
 *
 * <p>Every key must be one the app declares, or sit under one of its pass-through prefixes (such as
 * {@code tideline.kafka.client.} for raw Kafka client settings). A typo fails start-up with the key
 * named and the nearest known key suggested. Environment variables map to keys by upper-casing and
 * replacing {@code .} and {@code -} with {@code _}: {@code TIDELINE_TOPICS_REPLICATION_FACTOR} sets
 * {@code tideline.topics.replication-factor}.
 */
public final class ConfigLoader {

    /** Environment variables the launcher itself reads; never settings. */
    public static final Set<String> LAUNCHER_VARIABLES =
            Set.of(
                    "TIDELINE_HOME",
                    "TIDELINE_JAVA_OPTS",
                    "TIDELINE_STATE_DIR",
                    "TIDELINE_LOG_LEVEL");

    private final Set<String> known;
    private final Set<String> passthroughPrefixes;

    public ConfigLoader(Collection<String> knownKeys, Collection<String> passthroughPrefixes) {
        this.known = new TreeSet<>(knownKeys);
        this.passthroughPrefixes = new TreeSet<>(passthroughPrefixes);
    }

    /**
     * Merges the layers.
     *
     * @throws ConfigException naming the first unknown key or unreadable file
     */
    public Map<String, String> load(
            Map<String, String> defaults,
            Optional<Path> file,
            Map<String, String> environment,
            Map<String, String> overrides) {
        Map<String, String> merged = new TreeMap<>(defaults);
        file.ifPresent(f -> readFile(f).forEach((k, v) -> merged.put(check(k, f.toString()), v)));
        environment.forEach(
                (name, value) -> {
                    if (name.startsWith("TIDELINE_") && !LAUNCHER_VARIABLES.contains(name)) {
                        merged.put(fromEnvironment(name), value);
                    }
                });
        overrides.forEach((k, v) -> merged.put(check(k, "the command line"), v));
        return merged;
    }

    private Map<String, String> readFile(Path file) {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new TreeMap<>();
        props.stringPropertyNames().forEach(k -> values.put(k, props.getProperty(k).trim()));
        return values;
    }

    private String check(String key, String source) {
        if (known.contains(key) || passthroughPrefixes.stream().anyMatch(key::startsWith)) {
            return key;
        }
        throw new ConfigException(
                "unknown setting '"
                        + key
                        + "' in "
                        + source
                        + nearest(key).map(k -> "; did you mean '" + k + "'?").orElse(""));
    }

    private String fromEnvironment(String name) {
        for (String key : known) {
            if (envName(key).equals(name)) {
                return key;
            }
        }
        for (String prefix : passthroughPrefixes) {
            String envPrefix = envName(prefix);
            if (name.startsWith(envPrefix) && name.length() > envPrefix.length()) {
                // Kafka client keys use dots only: TIDELINE_KAFKA_CLIENT_SASL_MECHANISM.
                return prefix
                        + name.substring(envPrefix.length())
                                .toLowerCase(Locale.ROOT)
                                .replace('_', '.');
            }
        }
        throw new ConfigException(
                "unknown setting in environment variable "
                        + name
                        + nearest(name.toLowerCase(Locale.ROOT).replace('_', '.'))
                                .map(k -> "; did you mean " + envName(k) + "?")
                                .orElse(""));
    }

    /** The environment variable that sets {@code key}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private Optional<String> nearest(String key) {
        return known.stream()
                .min(Comparator.comparingInt(k -> distance(k, key)))
                .filter(k -> distance(k, key) <= Math.max(3, key.length() / 4));
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
