package dev.tideline.serving;

import dev.tideline.schemas.config.AppConfig;
import dev.tideline.schemas.config.ClientSettings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** A scoring replica's settings, loaded in layers; unknown keys refuse start-up by name. */
public final class ServingConfig extends AppConfig {

    public static final String GROUP_ID = "tideline.serving.group-id";
    public static final String INSTANCE_ID = "tideline.serving.instance-id";
    public static final String MODEL = "tideline.serving.model";
    public static final String SPEC_FINGERPRINT = "tideline.serving.spec-fingerprint";
    public static final String INPUT_WIDTH = "tideline.serving.input-width";
    public static final String DEVICE = "tideline.serving.device";
    public static final String INTRA_OP_THREADS = "tideline.serving.intra-op-threads";
    public static final String SPINNING = "tideline.serving.spinning";
    public static final String FALLBACK_SCORE = "tideline.serving.fallback-score";
    public static final String MAX_BATCH = "tideline.serving.max-batch";
    public static final String HTTP_HOST = "tideline.serving.http.host";
    public static final String HTTP_PORT = "tideline.serving.http.port";

    public static final ConfigDef DEFINITION =
            ClientSettings.definition()
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
                                    + " previous self. Default: host and pid.")
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
                            HTTP_HOST,
                            Type.STRING,
                            "0.0.0.0",
                            Importance.LOW,
                            "Address of /health and /metrics.")
                    .define(
                            HTTP_PORT,
                            Type.INT,
                            7072,
                            ConfigDef.Range.between(-1, 65535),
                            Importance.MEDIUM,
                            "Port of /health and /metrics; 0 picks one, -1 turns them off.");

    public ServingConfig(Map<String, String> values) {
        super(DEFINITION, values);
    }

    public static ServingConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return new ServingConfig(
                ClientSettings.load(DEFINITION, List.of(), file, environment, overrides));
    }

    public String transactionalId() {
        String instance = getString(INSTANCE_ID);
        if (instance.isBlank()) {
            instance = ManagementFactory.getRuntimeMXBean().getName().replace('@', '-');
        }
        return getString(GROUP_ID) + "-" + instance;
    }

    public ScoringOptions scoringOptions() {
        return new ScoringOptions(
                ScoringDevice.parse(getString(DEVICE)),
                getInt(INTRA_OP_THREADS),
                getBoolean(SPINNING));
    }
}
