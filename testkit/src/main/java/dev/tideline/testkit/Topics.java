package dev.tideline.testkit;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads topics as a downstream {@code read_committed} consumer sees them, from the beginning and
 * without a consumer group, with a deadline on every wait.
 */
public final class Topics {

    /** How long a read waits by default before it fails with what it has seen. */
    public static final Duration TIMEOUT = Duration.ofMinutes(2);

    private Topics() {}

    /** A {@code read_committed} consumer of every partition of {@code topic}, at the start. */
    public static <K, V> KafkaConsumer<K, V> fromStart(
            String bootstrap, String topic, Deserializer<K> keys, Deserializer<V> values) {
        return fromStart(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, keys, values);
    }

    /**
     * A {@code read_committed} consumer of every partition of {@code topic}, at the start, with
     * these client settings ({@code bootstrap.servers} and, on a secured cluster, credentials).
     */
    public static <K, V> KafkaConsumer<K, V> fromStart(
            Map<String, Object> client,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values) {
        return fromStart(client, topic, keys, values, IsolationLevel.READ_COMMITTED);
    }

    /**
     * A consumer of every partition of {@code topic}, at the start, that reads at {@code
     * isolation}: {@code READ_UNCOMMITTED} sees what an open transaction has written.
     */
    public static <K, V> KafkaConsumer<K, V> fromStart(
            Map<String, Object> client,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values,
            IsolationLevel isolation) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<K, V> consumer = new KafkaConsumer<>(config, keys, values);
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Every committed record of {@code topic} up to its end when the read starts. */
    public static <K, V> List<ConsumerRecord<K, V>> readToEnd(
            String bootstrap, String topic, Deserializer<K> keys, Deserializer<V> values) {
        return readToEnd(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic, keys, values);
    }

    /** Every committed record of {@code topic} up to its end, read with these client settings. */
    public static <K, V> List<ConsumerRecord<K, V>> readToEnd(
            Map<String, Object> client,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = fromStart(client, topic, keys, values)) {
            drainToEnd(consumer, out);
        }
        return out;
    }

    /**
     * How many committed records of {@code topic} each key has, the key taken from the value (a
     * transaction id): exactly-once checks count by it.
     */
    public static <V> Map<String, Integer> countBy(
            Map<String, Object> client,
            String topic,
            Deserializer<V> values,
            Function<V, String> key) {
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], V> r :
                readToEnd(client, topic, new ByteArrayDeserializer(), values)) {
            counts.merge(key.apply(r.value()), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * Polls {@code consumer} into {@code into} until it has reached, on every partition it is
     * assigned, the end those partitions have now.
     */
    public static <K, V> void drainToEnd(
            KafkaConsumer<K, V> consumer, List<ConsumerRecord<K, V>> into) {
        List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        await().atMost(TIMEOUT)
                .pollInterval(Duration.ZERO)
                .alias("reading " + partitions + " to offsets " + end)
                .until(
                        () -> {
                            consumer.poll(Duration.ofMillis(100)).forEach(into::add);
                            return partitions.stream()
                                    .allMatch(p -> consumer.position(p) >= end.get(p));
                        });
    }

    /** {@link #readToEnd} of raw bytes. */
    public static List<ConsumerRecord<byte[], byte[]>> readToEnd(String bootstrap, String topic) {
        return readToEnd(
                bootstrap, topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Committed records of {@code topic} from its start: once at least {@code count} have arrived
     * (failing after {@code timeout}), all of them up to the topic's end at that moment.
     */
    public static <K, V> List<ConsumerRecord<K, V>> readAtLeast(
            String bootstrap,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values,
            int count,
            Duration timeout) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = fromStart(bootstrap, topic, keys, values)) {
            await().atMost(timeout)
                    .pollInterval(Duration.ZERO)
                    .alias(count + " records of " + topic)
                    .until(
                            () -> {
                                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
                                return out.size() >= count;
                            });
            drainToEnd(consumer, out);
        }
        return out;
    }

    /** {@link #readAtLeast} of raw bytes. */
    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(
            String bootstrap, String topic, int count, Duration timeout) {
        return readAtLeast(
                bootstrap,
                topic,
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(),
                count,
                timeout);
    }

    /**
     * Records of {@code topic} a {@code read_committed} reader can reach: the sum over partitions
     * of the last stable offsets (so markers of committed transactions count too).
     */
    public static long endOffsetSum(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer =
                fromStart(
                        bootstrap,
                        topic,
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            return consumer.endOffsets(consumer.assignment()).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    /** The partitions of {@code topic}, as the consumer's metadata has them. */
    public static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        return consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
    }
}
