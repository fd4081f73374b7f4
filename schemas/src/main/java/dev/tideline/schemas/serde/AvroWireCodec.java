package dev.tideline.schemas.serde;

import dev.tideline.schemas.registry.IncompatibleSchemaException;
import dev.tideline.schemas.registry.SchemaNotFoundException;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro in the Confluent wire format: magic byte 0, the 4-byte big-endian schema id, then the Avro
 * binary body.
 *
 * <p>The core of Tideline's serdes, free of Kafka and Flink types so every engine can wrap it.
 * Writing registers (or looks up) the record's schema under its subject; reading fetches the writer
 * schema by id and resolves it to the reader's schema. Failures are specific subclasses of {@link
 * SerdeException} naming the topic and the schema id.
 *
 * <p>Thread-safe.
 *
 * @param <T> the record type: a generated specific record, or {@link GenericRecord}
 */
public final class AvroWireCodec<T> {

    /** The first byte of every payload. */
    public static final byte MAGIC_BYTE = 0;

    /** Magic byte and schema id. */
    public static final int HEADER_SIZE = 5;

    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final SubjectNameStrategy subjects;
    private final Schema readerSchema;
    private final GenericData model;
    private final boolean specific;
    private static final ThreadLocal<BinaryEncoder> ENCODERS = new ThreadLocal<>();
    private static final ThreadLocal<BinaryDecoder> DECODERS = new ThreadLocal<>();

    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

    private AvroWireCodec(
            SchemaRegistryClient registry,
            boolean isKey,
            SubjectNameStrategy subjects,
            Schema readerSchema,
            GenericData model,
            boolean specific) {
        this.registry = registry;
        this.isKey = isKey;
        this.subjects = subjects;
        this.readerSchema = readerSchema;
        this.model = model;
        this.specific = specific;
    }

    /** A codec for a generated record class; reads resolve every writer schema to its schema. */
    public static <T extends SpecificRecord> AvroWireCodec<T> specific(
            Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        SpecificData model = SpecificData.getForClass(type);
        return new AvroWireCodec<>(
                registry,
                isKey,
                SubjectNameStrategy.TOPIC_NAME,
                model.getSchema(type),
                model,
                true);
    }

    /** A codec for generic records; reads return each record in its writer's schema. */
    public static AvroWireCodec<GenericRecord> generic(
            SchemaRegistryClient registry, boolean isKey) {
        return new AvroWireCodec<>(
                registry, isKey, SubjectNameStrategy.TOPIC_NAME, null, GenericData.get(), false);
    }

    /** The reader schema of a specific codec, or null for a generic one. */
    public Schema readerSchema() {
        return readerSchema;
    }

    /** The registry subject records of a topic are written under. */
    public String subject(String topic, Schema schema) {
        return subjects.subject(topic, isKey, schema);
    }

    /**
     * Frames a record. Null stays null (a tombstone).
     *
     * @throws InvalidRecordException when the record does not satisfy its schema
     * @throws IncompatibleSchemaException when the registry refuses the record's schema
     * @throws dev.tideline.schemas.registry.SchemaRegistryException when the schema cannot be
     *     registered or, with auto-registration off, is not registered
     */
    public byte[] encode(String topic, T record) {
        if (record == null) {
            return null;
        }
        Schema schema = ((GenericContainer) record).getSchema();
        String subject = subject(topic, schema);
        int id;
        try {
            id =
                    registry.config().autoRegister()
                            ? registry.register(subject, schema)
                            : registry.idOf(subject, schema);
        } catch (IncompatibleSchemaException e) {
            throw new IncompatibleSchemaException(
                    subject,
                    "topic "
                            + topic
                            + ": the registry refused "
                            + schema.getFullName()
                            + " under subject "
                            + subject
                            + " as incompatible with its latest version: "
                            + e.getMessage(),
                    e.errorCode());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        // Buffered and reused per thread: the direct encoder writes the stream a byte at a time.
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, ENCODERS.get());
        ENCODERS.set(encoder);
        try {
            writer(schema).write(record, encoder);
            encoder.flush();
        } catch (NullPointerException
                | ClassCastException
                | AvroRuntimeException
                | IllegalArgumentException e) {
            throw new InvalidRecordException(
                    topic, schema.getFullName(), String.valueOf(e.getMessage()), e);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    /**
     * Reads a framed record. Null stays null (a tombstone).
     *
     * @throws TruncatedPayloadException when the payload ends early
     * @throws UnknownMagicByteException when it is not in the wire format
     * @throws UnknownSchemaIdException when the registry lacks its schema id
     * @throws SchemaResolutionException when its writer schema cannot be read as the reader's
     * @throws MalformedPayloadException when the body is not valid for its writer schema
     */
    public T decode(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = schemaId(topic, payload);
        DatumReader<T> reader = reader(topic, id);
        BinaryDecoder decoder =
                DecoderFactory.get()
                        .binaryDecoder(
                                payload, HEADER_SIZE, payload.length - HEADER_SIZE, DECODERS.get());
        DECODERS.set(decoder);
        T value;
        try {
            value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new MalformedPayloadException(
                        topic, id, "bytes left over after the record", null);
            }
        } catch (EOFException e) {
            throw new TruncatedPayloadException(topic, payload.length, id, e);
        } catch (IOException
                | AvroRuntimeException
                | IndexOutOfBoundsException
                | NegativeArraySizeException
                | ClassCastException
                | OutOfMemoryError e) {
            throw new MalformedPayloadException(topic, id, String.valueOf(e.getMessage()), e);
        }
        return value;
    }

    /**
     * The schema id in a payload's header.
     *
     * @throws TruncatedPayloadException when the payload is shorter than the header
     * @throws UnknownMagicByteException when it is not in the wire format
     */
    public static int schemaId(String topic, byte[] payload) {
        if (payload.length < HEADER_SIZE) {
            throw new TruncatedPayloadException(topic, payload.length, -1, null);
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new UnknownMagicByteException(topic, payload[0]);
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<T> writer(Schema schema) {
        return writers.computeIfAbsent(
                schema,
                s ->
                        specific
                                ? (DatumWriter<T>)
                                        new SpecificDatumWriter<>(s, (SpecificData) model)
                                : (DatumWriter<T>) new GenericDatumWriter<>(s, model));
    }

    private DatumReader<T> reader(String topic, int id) {
        DatumReader<T> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (SchemaNotFoundException e) {
            throw new UnknownSchemaIdException(topic, id, e);
        }
        Schema reader = readerSchema != null ? readerSchema : writerSchema;
        if (readerSchema != null) {
            SchemaPairCompatibility check =
                    SchemaCompatibility.checkReaderWriterCompatibility(reader, writerSchema);
            if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SchemaResolutionException(
                        topic, id, reader.getFullName(), check.getDescription());
            }
        }
        DatumReader<T> created = newReader(writerSchema, reader);
        DatumReader<T> raced = readers.putIfAbsent(id, created);
        return raced != null ? raced : created;
    }

    @SuppressWarnings("unchecked")
    private DatumReader<T> newReader(Schema writer, Schema reader) {
        return specific
                ? (DatumReader<T>) new SpecificDatumReader<>(writer, reader, (SpecificData) model)
                : (DatumReader<T>) new GenericDatumReader<>(writer, reader, model);
    }
}
