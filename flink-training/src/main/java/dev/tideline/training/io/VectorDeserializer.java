package dev.tideline.training.io;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.serde.SerdeException;
import java.util.List;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads {@code features.v1} in the Confluent wire format. Vectors of the spec being trained become
 * {@link ServedVector}s; undecodable ones, and vectors of another spec, are rejected with a reason.
 */
public final class VectorDeserializer implements KafkaRecordDeserializationSchema<Incoming> {

    private final Contracts contracts;
    private final String fingerprint;
    private final int width;
    private transient Topic<String, FeatureVector> topic;

    public VectorDeserializer(Contracts contracts, String fingerprint, int width) {
        this.contracts = contracts;
        this.fingerprint = fingerprint;
        this.width = width;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        topic = contracts.catalog().features();
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Incoming> out) {
        SourceRecord source = SourceRecord.of(r);
        FeatureVector v;
        try {
            v = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
        } catch (SerdeException e) {
            out.collect(Incoming.of(Rejected.because(source, "undecodable", e)));
            return;
        }
        if (v == null) {
            out.collect(
                    Incoming.of(
                            new Rejected(
                                    source,
                                    "missing-value",
                                    null,
                                    "a tombstone on a vector topic")));
            return;
        }
        if (!fingerprint.equals(v.getSpecFingerprint())) {
            out.collect(
                    Incoming.of(
                            new Rejected(
                                    source,
                                    "other-spec",
                                    null,
                                    "vector of spec "
                                            + v.getSpecId()
                                            + " v"
                                            + v.getSpecVersion()
                                            + " ("
                                            + v.getSpecFingerprint()
                                            + "); training "
                                            + fingerprint)));
            return;
        }
        List<Float> values = v.getValues();
        if (values.size() != width) {
            out.collect(
                    Incoming.of(
                            new Rejected(
                                    source,
                                    "wrong-width",
                                    null,
                                    values.size() + " values, the model takes " + width)));
            return;
        }
        float[] x = new float[width];
        for (int i = 0; i < width; i++) {
            x[i] = values.get(i);
        }
        out.collect(
                Incoming.of(new ServedVector(v.getTxnId(), v.getEventTime().toEpochMilli(), x)));
    }

    @Override
    public TypeInformation<Incoming> getProducedType() {
        return TypeInformation.of(Incoming.class);
    }
}
