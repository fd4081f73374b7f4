package dev.tideline.schemas.serde;

import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A Kafka deserializer reading Avro records in the Confluent wire format.
 *
 * <p>Built directly with a shared registry client, or by Kafka from a class name, in which case
 * {@link #configure} reads the registry keys of {@link RegistryClientConfig} and, for specific
 * records, {@value #SPECIFIC_TYPE_CONFIG} (or the key variant) naming the generated class.
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    /** The generated class values are read as; unset: generic records in the writer's schema. */
    public static final String SPECIFIC_TYPE_CONFIG = "tideline.avro.value.type";

    /** The generated class keys are read as; unset: generic records in the writer's schema. */
    public static final String SPECIFIC_KEY_TYPE_CONFIG = "tideline.avro.key.type";

    private AvroWireCodec<T> codec;

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroDeserializer() {}

    public AvroDeserializer(AvroWireCodec<T> codec) {
        this.codec = codec;
    }

    public static <T extends SpecificRecord> AvroDeserializer<T> specific(
            Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        return new AvroDeserializer<>(AvroWireCodec.specific(type, registry, isKey));
    }

    public static AvroDeserializer<GenericRecord> generic(
            SchemaRegistryClient registry, boolean isKey) {
        return new AvroDeserializer<>(AvroWireCodec.generic(registry, isKey));
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec != null) {
            return;
        }
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.from(configs));
        String key = isKey ? SPECIFIC_KEY_TYPE_CONFIG : SPECIFIC_TYPE_CONFIG;
        Object type = configs.get(key);
        if (type == null) {
            codec = (AvroWireCodec<T>) AvroWireCodec.generic(registry, isKey);
            return;
        }
        Class<?> cls;
        try {
            cls = type instanceof Class<?> c ? c : Class.forName(type.toString());
        } catch (ClassNotFoundException e) {
            throw new ConfigException(key, type, "no such class");
        }
        if (!SpecificRecord.class.isAssignableFrom(cls)) {
            throw new ConfigException(key, type, "not a generated Avro specific record class");
        }
        codec = (AvroWireCodec<T>) AvroWireCodec.specific((Class) cls, registry, isKey);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (codec == null) {
            throw new IllegalStateException(
                    "AvroDeserializer is not configured: set "
                            + RegistryClientConfig.URL
                            + " in the consumer configuration");
        }
        return codec.decode(topic, data);
    }
}
