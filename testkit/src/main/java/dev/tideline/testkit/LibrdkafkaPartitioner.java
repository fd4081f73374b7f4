package dev.tideline.testkit;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * The default partitioner of librdkafka ({@code consistent_random}), which the Python, Go, .NET and
 * C/C++ clients and kcat use: a key goes to CRC-32(key) modulo the partition count, a record
 * without a key to a random partition. Most keys land elsewhere than the Java client's murmur2
 * would put them.
 */
public final class LibrdkafkaPartitioner implements Partitioner {

    /** The partition librdkafka chooses for a key. */
    public static int partition(byte[] key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return (int) (crc.getValue() % partitions);
    }

    @Override
    public int partition(
            String topic,
            Object key,
            byte[] keyBytes,
            Object value,
            byte[] valueBytes,
            Cluster cluster) {
        int partitions = cluster.partitionCountForTopic(topic);
        if (keyBytes == null || keyBytes.length == 0) {
            return ThreadLocalRandom.current().nextInt(partitions);
        }
        return partition(keyBytes, partitions);
    }

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public void close() {}
}
