package dev.tideline.training.io;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.serde.SerdeException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads {@code cdc.labels}. A label keeps its source bytes, so one the join cannot use is
 * dead-lettered as it arrived; undecodable labels are rejected here. Tombstones (a deleted
 * chargeback) carry nothing to train on and are skipped.
 */
public final class LabelDeserializer implements KafkaRecordDeserializationSchema<Incoming> {

    private final Contracts contracts;
    private transient Topic<String, Label> topic;

    public LabelDeserializer(Contracts contracts) {
        this.contracts = contracts;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        topic = contracts.catalog().labels();
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Incoming> out) {
        if (r.value() == null) {
            return;
        }
        SourceRecord source = SourceRecord.of(r);
        Label label;
        try {
            label = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (SerdeException e) {
            out.collect(Incoming.of(Rejected.because(source, "undecodable", e)));
            return;
        }
        out.collect(
                Incoming.of(
                        new LabelEvent(
                                label.getTxnId(),
                                label.getIsFraud(),
                                label.getReportedAt().toEpochMilli(),
                                source)));
    }

    @Override
    public TypeInformation<Incoming> getProducedType() {
        return TypeInformation.of(Incoming.class);
    }
}
