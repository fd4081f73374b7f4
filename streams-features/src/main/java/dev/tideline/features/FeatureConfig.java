package dev.tideline.features;

import dev.tideline.ops.config.AppConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The feature app's settings: defaults, then a properties file, then {@code TIDELINE_*} environment
 * variables, then flags. Unknown keys and bad values refuse start-up, naming the key.
 */
public final class FeatureConfig extends AppConfig {

    static final String PREFIX = "tideline.features.";
    public static final String APPLICATION_ID = PREFIX + "application-id";
    public static final String SPEC = PREFIX + "spec";
    public static final String MAX_AMOUNT = PREFIX + "max-amount";
    public static final String MAX_FUTURE_SKEW = PREFIX + "max-future-skew";
    public static final String EVICTION_INTERVAL = PREFIX + "eviction-interval";
    public static final String ENTITY_TTL = PREFIX + "entity-ttl";
    public static final String STANDBY_REPLICAS = PREFIX + "num-standby-replicas";
    public static final String STREAM_THREADS = PREFIX + "num-stream-threads";
    public static final String STATE_DIR = PREFIX + "state-dir";
    public static final String COMMIT_INTERVAL = PREFIX + "commit-interval";
    public static final String CACHE_MAX_BYTES = PREFIX + "cache-max-bytes";
    public static final String HTTP_HOST = PREFIX + "http.host";
    public static final String HTTP_PORT = PREFIX + "http.port";
    public static final String ADVERTISED_HOST = PREFIX + "http.advertised-host";
    public static final String INSTANCE_ID = PREFIX + "instance-id";
    public static final String ON_THREAD_FAILURE = PREFIX + "on-thread-failure";
    public static final String MAX_THREAD_REPLACEMENTS = PREFIX + "max-thread-replacements";
    public static final String THREAD_REPLACEMENT_PERIOD = PREFIX + "thread-replacement-period";

    /**
     * Prefix of raw Kafka Streams settings: {@code
     * tideline.features.streams.buffered.records.per.partition}.
     */
    public static final String STREAMS_PREFIX = PREFIX + "streams.";

    private static final ConfigDef.Validator DURATION =
            (name, value) -> {
                try {
                    if (Duration.parse((String) value).isNegative()) {
                        throw new ConfigException(name, value, "must not be negative");
                    }
                } catch (DateTimeParseException e) {
                    throw new ConfigException(
                            name, value, "expected an ISO-8601 duration such as PT1M");
                }
            };

    public static final ConfigDef DEFINITION =
            AppConfig.definition(PREFIX, 7070, "the read API (features, health, metrics)")
                    .define(
                            APPLICATION_ID,
                            Type.STRING,
                            "tideline-features",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Kafka Streams application id: consumer group, internal topic prefix"
                                + " and transactional id base. Instances with the same id share the"
                                + " work.")
                    .define(
                            SPEC,
                            Type.STRING,
                            "builtin:" + FeatureSpec.DEFAULT,
                            Importance.HIGH,
                            "Feature spec: builtin:NAME or a YAML/JSON file.")
                    .define(
                            MAX_AMOUNT,
                            Type.DOUBLE,
                            1_000_000.0,
                            ConfigDef.Range.atLeast(1),
                            Importance.MEDIUM,
                            "Largest plausible amount in major units (of the spec's base currency"
                                    + " when it has one); larger ones are dead-lettered as"
                                    + " amount-out-of-range.")
                    .define(
                            MAX_FUTURE_SKEW,
                            Type.STRING,
                            "PT5M",
                            DURATION,
                            Importance.MEDIUM,
                            "How far ahead of the instance's clock an event time may be; a later"
                                    + " one is dead-lettered as future-event-time before it"
                                    + " touches any state or clock.")
                    .define(
                            EVICTION_INTERVAL,
                            Type.STRING,
                            "PT1M",
                            DURATION,
                            Importance.LOW,
                            "How often idle entities are looked for and deleted.")
                    .define(
                            ENTITY_TTL,
                            Type.STRING,
                            "P90D",
                            DURATION,
                            Importance.MEDIUM,
                            "How long an entity's history (time since its last event, running"
                                    + " statistics, last value) is kept after its latest event;"
                                    + " at least the spec's longest window plus its grace and a"
                                    + " tile.")
                    .define(
                            STANDBY_REPLICAS,
                            Type.INT,
                            0,
                            ConfigDef.Range.between(0, 10),
                            Importance.MEDIUM,
                            "Warm copies of each task's state on other instances.")
                    .define(
                            STREAM_THREADS,
                            Type.INT,
                            1,
                            ConfigDef.Range.between(1, 64),
                            Importance.MEDIUM,
                            "Stream threads per instance.")
                    .define(
                            STATE_DIR,
                            Type.STRING,
                            Path.of(System.getProperty("java.io.tmpdir"), "tideline-features")
                                    .toString(),
                            Importance.MEDIUM,
                            "Directory of the RocksDB state stores.")
                    .define(
                            COMMIT_INTERVAL,
                            Type.STRING,
                            "PT0.05S",
                            DURATION,
                            Importance.MEDIUM,
                            "How often transactions commit: the floor of end-to-end latency for"
                                    + " read_committed readers.")
                    .define(
                            CACHE_MAX_BYTES,
                            Type.LONG,
                            64L << 20,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Record cache of the state stores, in bytes: a busy entity reaches"
                                    + " RocksDB and its changelog once per commit, not once per"
                                    + " event. 0 turns it off.")
                    .define(
                            ADVERTISED_HOST,
                            Type.STRING,
                            "localhost",
                            Importance.MEDIUM,
                            "Host other instances use to reach this one's read API"
                                    + " (application.server).")
                    .define(
                            INSTANCE_ID,
                            Type.STRING,
                            "",
                            Importance.MEDIUM,
                            "A name for this instance, stable across its restarts and unique in"
                                    + " the application: with one, its stream threads are static"
                                    + " members of the group (group.instance.id <instance-id>-<n>),"
                                    + " so an instance restarted after a crash takes its tasks"
                                    + " back without a rebalance. Empty (the default): dynamic"
                                    + " members.")
                    .define(
                            ON_THREAD_FAILURE,
                            Type.STRING,
                            "replace-thread",
                            (name, value) ->
                                    StreamThreadFailurePolicy.Mode.parse(name, (String) value),
                            Importance.MEDIUM,
                            "When a stream thread dies: replace-thread, shutdown-client or"
                                    + " shutdown-application.")
                    .define(
                            MAX_THREAD_REPLACEMENTS,
                            Type.INT,
                            3,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Replacements allowed within the period before the client shuts down"
                                    + " instead.")
                    .define(
                            THREAD_REPLACEMENT_PERIOD,
                            Type.STRING,
                            "PT10M",
                            DURATION,
                            Importance.LOW,
                            "The period of that limit.");

    public FeatureConfig(Map<String, String> values) {
        super(DEFINITION, PREFIX, values);
    }

    public Duration duration(String key) {
        return Duration.parse(getString(key));
    }

    /**
     * The entity TTL, checked against the spec: a TTL shorter than its longest window, grace and a
     * tile would cut windows short, so it refuses start-up naming the key.
     */
    public Duration entityTtl(FeatureSpec spec) {
        Duration ttl = duration(ENTITY_TTL);
        if (ttl.compareTo(spec.idleAfter()) < 0) {
            throw new ConfigException(
                    ENTITY_TTL,
                    getString(ENTITY_TTL),
                    "must be at least the spec's longest window, grace and widest tile ("
                            + spec.idleAfter()
                            + " for "
                            + spec
                            + ")");
        }
        return ttl;
    }

    /** The spec, parsed; an invalid spec refuses start-up with the bad entry named. */
    public FeatureSpec spec() {
        return FeatureSpec.resolve(getString(SPEC));
    }

    public StreamThreadFailurePolicy.Mode threadFailureMode() {
        return StreamThreadFailurePolicy.Mode.parse(
                ON_THREAD_FAILURE, getString(ON_THREAD_FAILURE));
    }

    /** Raw Kafka Streams settings: {@code tideline.features.streams.*} with the prefix removed. */
    public Map<String, Object> streamsOverrides() {
        Map<String, Object> out = new HashMap<>();
        values().forEach(
                        (k, v) -> {
                            if (k.startsWith(STREAMS_PREFIX)) {
                                out.put(k.substring(STREAMS_PREFIX.length()), v);
                            }
                        });
        return out;
    }
}
