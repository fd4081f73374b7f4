package dev.tideline.serving;

import dev.tideline.ops.config.AppConfig;
import dev.tideline.schemas.model.ReleaseSignature;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** A scoring replica's settings, loaded in layers; unknown keys refuse start-up by name. */
public final class ServingConfig extends AppConfig {

    static final String PREFIX = "tideline.serving.";
    public static final String GROUP_ID = PREFIX + "group-id";
    public static final String INSTANCE_ID = PREFIX + "instance-id";
    public static final String STATE_DIR = PREFIX + "state-dir";
    public static final String TRUSTED_KEYS = PREFIX + "trusted-keys";
    public static final String MODEL = PREFIX + "model";
    public static final String SPEC_FINGERPRINT = PREFIX + "spec-fingerprint";
    public static final String INPUT_WIDTH = PREFIX + "input-width";
    public static final String DEVICE = PREFIX + "device";
    public static final String INTRA_OP_THREADS = PREFIX + "intra-op-threads";
    public static final String SPINNING = PREFIX + "spinning";
    public static final String FALLBACK_SCORE = PREFIX + "fallback-score";
    public static final String MAX_BATCH = PREFIX + "max-batch";
    public static final String SHADOW_EVENTS = PREFIX + "shadow.events";
    public static final String SHADOW_THRESHOLD = PREFIX + "shadow.threshold";
    public static final String SHADOW_MAX_DISAGREEMENT = PREFIX + "shadow.max-disagreement";
    public static final String ARTIFACT_TIMEOUT_MS = PREFIX + "artifact.timeout-ms";
    public static final String ARTIFACT_MAX_BYTES = PREFIX + "artifact.max-bytes";
    public static final String BREAKER_FAILURES = PREFIX + "artifact.breaker.failures";
    public static final String BREAKER_WINDOW = PREFIX + "artifact.breaker.window";
    public static final String BREAKER_OPEN_MS = PREFIX + "artifact.breaker.open-ms";
    public static final String HTTP_HOST = PREFIX + "http.host";
    public static final String HTTP_PORT = PREFIX + "http.port";

    public static final ConfigDef DEFINITION =
            AppConfig.definition(PREFIX, 7072, "/health and /metrics")
                    .define(
                            GROUP_ID,
                            Type.STRING,
                            "tideline-serving",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Consumer group of the scoring replicas.")
                    .define(
                            INSTANCE_ID,
                            Type.STRING,
                            "",
                            Importance.HIGH,
                            "This replica's stable id: its transactional id is"
                                    + " <group-id>-<instance-id>, so a restarted replica fences its"
                                    + " previous self. Default: <host>-<n>, the lowest slot no live"
                                    + " replica on this host holds.")
                    .define(
                            TRUSTED_KEYS,
                            Type.LIST,
                            "",
                            Importance.HIGH,
                            "Public keys that sign releases, as key-id=path-to-PEM pairs: with any"
                                    + " set, a release must be signed by one of them before any"
                                    + " other gate; empty takes unsigned releases.")
                    .define(
                            STATE_DIR,
                            Type.STRING,
                            Path.of(System.getProperty("java.io.tmpdir"), "tideline-serving")
                                    .toString(),
                            new ConfigDef.NonEmptyString(),
                            Importance.LOW,
                            "Where the replica keeps the lock that reserves its instance id on"
                                    + " this host.")
                    .define(
                            MODEL,
                            Type.STRING,
                            "fraud",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Name of the model to serve (the key on models.v1).")
                    .define(
                            SPEC_FINGERPRINT,
                            Type.STRING,
                            ConfigDef.NO_DEFAULT_VALUE,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Fingerprint of the feature spec of the vectors scored; releases and"
                                    + " vectors of another spec are refused.")
                    .define(
                            INPUT_WIDTH,
                            Type.INT,
                            ConfigDef.NO_DEFAULT_VALUE,
                            ConfigDef.Range.atLeast(1),
                            Importance.HIGH,
                            "Values per vector in that spec.")
                    .define(
                            DEVICE,
                            Type.STRING,
                            "auto",
                            (name, value) -> {
                                try {
                                    ScoringDevice.parse((String) value);
                                } catch (IllegalArgumentException e) {
                                    throw new ConfigException(
                                            name, value, "expected auto, cpu or cuda");
                                }
                            },
                            Importance.MEDIUM,
                            "auto tries CUDA and falls back to the CPU; cpu; cuda.")
                    .define(
                            INTRA_OP_THREADS,
                            Type.INT,
                            0,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "ONNX Runtime intra-op threads; 0 lets it choose.")
                    .define(
                            SPINNING,
                            Type.BOOLEAN,
                            false,
                            Importance.LOW,
                            "Let ONNX Runtime threads spin while waiting.")
                    .define(
                            FALLBACK_SCORE,
                            Type.DOUBLE,
                            0.0,
                            ConfigDef.Range.between(0, 1),
                            Importance.MEDIUM,
                            "Score used when no model can serve.")
                    .define(
                            MAX_BATCH,
                            Type.INT,
                            1024,
                            ConfigDef.Range.between(1, 65536),
                            Importance.MEDIUM,
                            "Vectors per poll, scored as one tensor.")
                    .define(
                            SHADOW_EVENTS,
                            Type.LONG,
                            0L,
                            ConfigDef.Range.atLeast(0),
                            Importance.MEDIUM,
                            "Shadow mode: a new release first scores this many vectors beside the"
                                    + " model in service (its scores are not written) before it"
                                    + " replaces it; 0 swaps at once.")
                    .define(
                            SHADOW_THRESHOLD,
                            Type.DOUBLE,
                            0.5,
                            ConfigDef.Range.between(0, 1),
                            Importance.LOW,
                            "Decision threshold for the shadow disagreement rate: a vector counts"
                                    + " as a disagreement when the two models fall on different"
                                    + " sides of it.")
                    .define(
                            SHADOW_MAX_DISAGREEMENT,
                            Type.DOUBLE,
                            1.0,
                            ConfigDef.Range.between(0, 1),
                            Importance.MEDIUM,
                            "Shadow mode: a shadow that disagreed with the model in service on"
                                    + " more than this share of its vectors is refused (gate"
                                    + " shadow-disagreement); 1 promotes it whatever it did.")
                    .define(
                            ARTIFACT_TIMEOUT_MS,
                            Type.LONG,
                            10_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "Connect and read timeout when fetching a release's artifact URI.")
                    .define(
                            ARTIFACT_MAX_BYTES,
                            Type.LONG,
                            256L << 20,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "Largest model artifact fetched.")
                    .define(
                            BREAKER_FAILURES,
                            Type.INT,
                            3,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "Failed artifact fetches among the last"
                                    + " tideline.serving.artifact.breaker.window that open the"
                                    + " circuit breaker.")
                    .define(
                            BREAKER_WINDOW,
                            Type.INT,
                            5,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "Artifact fetches the circuit breaker judges the failure rate over.")
                    .define(
                            BREAKER_OPEN_MS,
                            Type.LONG,
                            30_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "How long the open circuit breaker refuses artifact fetches before"
                                    + " it lets one try through.");

    public ServingConfig(Map<String, String> values) {
        super(DEFINITION, PREFIX, values);
        artifacts(); // refuses a breaker threshold larger than its window, naming the key
        trustedKeys(); // refuses a key that cannot be read, naming the key
    }

    /** The trusted signing keys, by key id; a bad entry or key refuses start-up by name. */
    public Map<String, PublicKey> trustedKeys() {
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        for (String entry : getList(TRUSTED_KEYS)) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new ConfigException(
                        TRUSTED_KEYS, entry, "give each key as key-id=path-to-public-key.pem");
            }
            try {
                keys.put(
                        entry.substring(0, eq).trim(),
                        ReleaseSignature.publicKey(Path.of(entry.substring(eq + 1).trim())));
            } catch (RuntimeException e) {
                throw new ConfigException(TRUSTED_KEYS, entry, e.getMessage());
            }
        }
        return keys;
    }

    /** The transactional id of the replica whose instance id is {@code instance}. */
    public String transactionalId(String instance) {
        return getString(GROUP_ID) + "-" + instance;
    }

    /**
     * Reserves this replica's instance id on this host: the configured one, or the first free
     * {@code <host>-<n>}.
     */
    InstanceLease claimInstance() {
        return InstanceLease.claim(
                Path.of(getString(STATE_DIR)), getString(INSTANCE_ID), InstanceLease.hostName());
    }

    public ModelSwitch.ShadowSettings shadow() {
        return new ModelSwitch.ShadowSettings(
                getLong(SHADOW_EVENTS),
                getDouble(SHADOW_THRESHOLD),
                getDouble(SHADOW_MAX_DISAGREEMENT));
    }

    public ArtifactFetcher.Settings artifacts() {
        int failures = getInt(BREAKER_FAILURES);
        int window = getInt(BREAKER_WINDOW);
        if (failures > window) {
            throw new ConfigException(
                    BREAKER_FAILURES,
                    failures,
                    "must not exceed " + BREAKER_WINDOW + " (" + window + ")");
        }
        return new ArtifactFetcher.Settings(
                Duration.ofMillis(getLong(ARTIFACT_TIMEOUT_MS)),
                getLong(ARTIFACT_MAX_BYTES),
                failures,
                window,
                Duration.ofMillis(getLong(BREAKER_OPEN_MS)));
    }

    public ScoringOptions scoringOptions() {
        return new ScoringOptions(
                ScoringDevice.parse(getString(DEVICE)),
                getInt(INTRA_OP_THREADS),
                getBoolean(SPINNING));
    }
}
