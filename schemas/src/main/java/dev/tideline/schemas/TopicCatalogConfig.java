package dev.tideline.schemas;

import dev.tideline.schemas.registry.CompatibilityLevel;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Names, sizes and settings of the pipeline's topics. */
public final class TopicCatalogConfig extends AbstractConfig {

    public static final String PREFIX = "tideline.topics.prefix";
    public static final String PARTITIONS = "tideline.topics.partitions";
    public static final String REPLICATION_FACTOR = "tideline.topics.replication-factor";
    public static final String MODEL_MAX_BYTES = "tideline.topics.models.max-message-bytes";
    public static final String DLQ_RETENTION_MS = "tideline.topics.dlq.retention-ms";
    public static final String COMPATIBILITY = "tideline.topics.compatibility";

    public static final ConfigDef DEFINITION =
            new ConfigDef()
                    .define(
                            PREFIX,
                            Type.STRING,
                            "",
                            (name, value) -> {
                                String prefix = (String) value;
                                if (prefix != null && !prefix.matches("[A-Za-z0-9._-]*")) {
                                    throw new ConfigException(
                                            name,
                                            value,
                                            "a topic prefix may hold only letters, digits, '.',"
                                                    + " '_' and '-'");
                                }
                            },
                            Importance.MEDIUM,
                            "Prepended to every topic name so several pipelines can share a"
                                    + " cluster, for example 'staging.'.")
                    .define(
                            PARTITIONS,
                            Type.INT,
                            6,
                            ConfigDef.Range.between(1, 10_000),
                            Importance.HIGH,
                            "Partitions of the keyed topics. Input, profile, feature and"
                                    + " prediction topics are co-partitioned, so they share it.")
                    .define(
                            REPLICATION_FACTOR,
                            Type.SHORT,
                            (short) 1,
                            ConfigDef.Range.between(1, 32),
                            Importance.HIGH,
                            "Replicas of every topic; 3 in production (with"
                                    + " min.insync.replicas=2), 1 on a laptop.")
                    .define(
                            MODEL_MAX_BYTES,
                            Type.INT,
                            16 * 1024 * 1024,
                            ConfigDef.Range.atLeast(1024 * 1024),
                            Importance.LOW,
                            "max.message.bytes of models.v1 and training.sync.v1, which carry"
                                    + " whole models.")
                    .define(
                            DLQ_RETENTION_MS,
                            Type.LONG,
                            7L * 24 * 3600 * 1000,
                            ConfigDef.Range.atLeast(60_000),
                            Importance.LOW,
                            "How long dead-letter topics keep records.")
                    .define(
                            COMPATIBILITY,
                            Type.STRING,
                            CompatibilityLevel.BACKWARD.name(),
                            ConfigDef.ValidString.in(
                                    Arrays.stream(CompatibilityLevel.values())
                                            .map(Enum::name)
                                            .toArray(String[]::new)),
                            Importance.LOW,
                            "Compatibility rule set on each value subject at bootstrap.");

    public TopicCatalogConfig(Map<String, ?> props) {
        super(DEFINITION, props, false);
    }

    public static TopicCatalogConfig defaults() {
        return new TopicCatalogConfig(Map.of());
    }

    public String prefix() {
        return getString(PREFIX);
    }

    public int partitions() {
        return getInt(PARTITIONS);
    }

    public short replicationFactor() {
        return getShort(REPLICATION_FACTOR);
    }

    public int modelMaxBytes() {
        return getInt(MODEL_MAX_BYTES);
    }

    public long dlqRetentionMs() {
        return getLong(DLQ_RETENTION_MS);
    }

    public CompatibilityLevel compatibility() {
        return CompatibilityLevel.valueOf(getString(COMPATIBILITY));
    }
}
