package dev.tideline.schemas.serde;

import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serializer writing Avro records in the Confluent wire format.
 *
 * <p>Built directly with a shared registry client, or by Kafka from a class name, in which case
 * {@link #configure} reads the registry keys of {@link RegistryClientConfig}.
 */
public final class AvroSerializer<T> implements Serializer<T> {

    private AvroWireCodec<T> codec;

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {}

    public AvroSerializer(AvroWireCodec<T> codec) {
        this.codec = codec;
    }

    public static <T extends SpecificRecord> AvroSerializer<T> specific(
            Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        return new AvroSerializer<>(AvroWireCodec.specific(type, registry, isKey));
    }

    public static AvroSerializer<GenericRecord> generic(
            SchemaRegistryClient registry, boolean isKey) {
        return new AvroSerializer<>(AvroWireCodec.generic(registry, isKey));
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec == null) {
            // Writing needs no reader schema: a generic codec writes specific records too.
            codec =
                    (AvroWireCodec<T>)
                            AvroWireCodec.generic(
                                    new SchemaRegistryClient(RegistryClientConfig.from(configs)),
                                    isKey);
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (codec == null) {
            throw new IllegalStateException(
                    "AvroSerializer is not configured: set "
                            + RegistryClientConfig.URL
                            + " in the producer configuration");
        }
        return codec.encode(topic, data);
    }
}
