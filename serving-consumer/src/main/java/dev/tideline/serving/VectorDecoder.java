package dev.tideline.serving;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.AvroWireCodec;
import dev.tideline.schemas.serde.SerdeException;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Decodes {@code features.v1} payloads for scoring: the values go straight into the tensor's rows,
 * the rest into a {@link Header}. A payload written with exactly the {@code FeatureVector} schema
 * this build knows is read field by field, without an object per value; any other writer schema (an
 * evolved contract), or a payload the fast path cannot read, goes through the contract's own
 * deserializer, which resolves schemas and names what is wrong.
 */
final class VectorDecoder {

    /** A decoded vector without its values, and how many values it had. */
    static final class Header {
        String txnId;
        String entityId;
        String specId;
        int specVersion;
        String specFingerprint;
        long eventTimeMs;
        long computedAtMs;
        int width;
    }

    private final Topic<String, FeatureVector> topic;
    private final SchemaRegistryClient registry;
    private final Schema reader = FeatureVector.getClassSchema();
    private final Map<Integer, Boolean> sameLayout = new HashMap<>();
    private BinaryDecoder decoder;

    VectorDecoder(Topic<String, FeatureVector> topic, SchemaRegistryClient registry) {
        this.topic = topic;
        this.registry = registry;
    }

    /**
     * Decodes one payload into {@code header}, writing its values to {@code row[offset..]} when it
     * has {@code width} of them (a vector of another width is only counted).
     *
     * @return false for a tombstone
     * @throws SerdeException when the payload cannot be decoded, naming why
     */
    boolean decode(
            String topicName, byte[] payload, Header header, float[] row, int offset, int width) {
        if (payload == null) {
            return false;
        }
        int id = AvroWireCodec.schemaId(topicName, payload);
        if (fast(id)) {
            try {
                read(payload, header, row, offset, width);
                return true;
            } catch (IOException | RuntimeException e) {
                // Let the contract's deserializer name the problem.
            }
        }
        FeatureVector v = topic.valueSerde().deserializer().deserialize(topicName, payload);
        if (v == null) {
            return false;
        }
        header.txnId = v.getTxnId();
        header.entityId = v.getEntityId();
        header.specId = v.getSpecId();
        header.specVersion = v.getSpecVersion();
        header.specFingerprint = v.getSpecFingerprint();
        header.eventTimeMs = v.getEventTime().toEpochMilli();
        header.computedAtMs = v.getComputedAt().toEpochMilli();
        List<Float> values = v.getValues();
        header.width = values.size();
        if (header.width == width) {
            for (int i = 0; i < width; i++) {
                row[offset + i] = values.get(i);
            }
        }
        return true;
    }

    /** Whether the writer schema with this id is exactly the reader's (binary layout and all). */
    private boolean fast(int id) {
        Boolean same = sameLayout.get(id);
        if (same == null) {
            try {
                same = reader.equals(registry.schemaById(id));
            } catch (RuntimeException e) {
                return false; // unknown id: the deserializer says so
            }
            sameLayout.put(id, same);
        }
        return same;
    }

    private void read(byte[] payload, Header h, float[] row, int offset, int width)
            throws IOException {
        BinaryDecoder in =
                DecoderFactory.get()
                        .binaryDecoder(
                                payload,
                                AvroWireCodec.HEADER_SIZE,
                                payload.length - AvroWireCodec.HEADER_SIZE,
                                decoder);
        decoder = in;
        h.txnId = in.readString();
        h.entityId = in.readString();
        h.eventTimeMs = in.readLong();
        h.specId = in.readString();
        h.specVersion = in.readInt();
        h.specFingerprint = in.readString();
        int n = 0;
        for (long block = in.readArrayStart(); block != 0; block = in.arrayNext()) {
            for (long i = 0; i < block; i++, n++) {
                float value = in.readFloat();
                if (n < width) {
                    row[offset + n] = value;
                }
            }
        }
        h.width = n;
        in.skipString(); // merchant_id
        in.readLong(); // amount_minor
        in.skipString(); // currency
        h.computedAtMs = in.readLong();
        if (!in.isEnd()) {
            throw new IOException("bytes left over after the record");
        }
    }
}
