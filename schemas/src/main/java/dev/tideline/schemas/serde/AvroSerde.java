package dev.tideline.schemas.serde;

import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Kafka (and Kafka Streams) serde for Avro records in the Confluent wire format. */
public final class AvroSerde<T> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(AvroWireCodec<T> codec) {
        this.serializer = new AvroSerializer<>(codec);
        this.deserializer = new AvroDeserializer<>(codec);
    }

    public static <T extends SpecificRecord> AvroSerde<T> specific(
            Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        return new AvroSerde<>(AvroWireCodec.specific(type, registry, isKey));
    }

    public static AvroSerde<GenericRecord> generic(SchemaRegistryClient registry, boolean isKey) {
        return new AvroSerde<>(AvroWireCodec.generic(registry, isKey));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Built with its registry client; nothing to configure.
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
