package dev.tideline.training.io;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A Kafka record's coordinates and bytes, kept for dead-lettering it. A Flink POJO. */
public final class SourceRecord {

    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;

    public SourceRecord() {}

    public SourceRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
    }

    /** The coordinates and bytes of a consumed record. */
    public static SourceRecord of(ConsumerRecord<byte[], byte[]> r) {
        return new SourceRecord(r.topic(), r.partition(), r.offset(), r.key(), r.value());
    }
}
