package dev.tideline.schemas;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

/**
 * One Kafka topic of the pipeline with everything needed to write, read and create it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class Topic<K, V> {

    private final String name;
    private final Serde<K> keySerde;
    private final Serde<V> valueSerde;
    private final int partitions;
    private final short replicationFactor;
    private final Map<String, String> configs;
    private final Schema valueSchema;
    private final String keyField;

    Topic(
            String name,
            Serde<K> keySerde,
            Serde<V> valueSerde,
            int partitions,
            short replicationFactor,
            Map<String, String> configs,
            Schema valueSchema,
            String keyField) {
        this.name = Objects.requireNonNull(name);
        this.keySerde = Objects.requireNonNull(keySerde);
        this.valueSerde = Objects.requireNonNull(valueSerde);
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.configs = Map.copyOf(configs);
        this.valueSchema = valueSchema;
        this.keyField = keyField;
    }

    /** The full topic name, prefix included. */
    public String name() {
        return name;
    }

    public Serde<K> keySerde() {
        return keySerde;
    }

    public Serde<V> valueSerde() {
        return valueSerde;
    }

    public int partitions() {
        return partitions;
    }

    public short replicationFactor() {
        return replicationFactor;
    }

    /** Topic-level configs the topic is created with (compaction, message size, retention). */
    public Map<String, String> configs() {
        return configs;
    }

    /** The Avro schema of values, for Avro topics; empty for raw (dead-letter) topics. */
    public Optional<Schema> valueSchema() {
        return Optional.ofNullable(valueSchema);
    }

    /** The value field whose content is the record key, for Avro topics. */
    public Optional<String> keyField() {
        return Optional.ofNullable(keyField);
    }

    /** The registry subject of values (TopicNameStrategy). */
    public String valueSubject() {
        return name + "-value";
    }

    /** The admin request that creates this topic. */
    public NewTopic toNewTopic() {
        return new NewTopic(name, partitions, replicationFactor).configs(configs);
    }

    @Override
    public String toString() {
        return name;
    }
}
