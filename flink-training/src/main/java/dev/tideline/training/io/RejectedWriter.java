package dev.tideline.training.io;

import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes rejected records, as they arrived, to their source topic's dead-letter topic with the
 * {@code tideline.dlq.*} headers.
 */
public final class RejectedWriter implements KafkaRecordSerializationSchema<Rejected> {

    public static final String STAGE = "flink-training";

    private final Contracts contracts;
    private transient TopicCatalog catalog;

    public RejectedWriter(Contracts contracts) {
        this.contracts = contracts;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        catalog = contracts.catalog();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            Rejected r, KafkaSinkContext context, Long timestamp) {
        String dlq =
                catalog.deadLetter(
                                catalog.byName(r.source.topic)
                                        .orElseThrow(
                                                () ->
                                                        new IllegalStateException(
                                                                "not a catalog topic: "
                                                                        + r.source.topic)))
                        .name();
        return DeadLetter.record(
                dlq,
                r.source.key,
                r.source.value,
                null,
                STAGE,
                r.reason,
                r.errorClass,
                r.message,
                new DeadLetter.Source(r.source.topic, r.source.partition, r.source.offset));
    }
}
