package dev.tideline.schemas;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The dead-letter contract every stage follows: the record's original key and value bytes, its
 * original headers, and headers saying why it was rejected and where it came from. Reasons are
 * short stable words ({@code late}, {@code deserialization}, {@code invalid-amount}) that operators
 * can count and alert on.
 */
public final class DeadLetter {

    public static final String REASON = "tideline.dlq.reason";
    public static final String ERROR_CLASS = "tideline.dlq.error.class";
    public static final String ERROR_MESSAGE = "tideline.dlq.error.message";
    public static final String SOURCE_TOPIC = "tideline.dlq.source.topic";
    public static final String SOURCE_PARTITION = "tideline.dlq.source.partition";
    public static final String SOURCE_OFFSET = "tideline.dlq.source.offset";
    public static final String STAGE = "tideline.dlq.stage";
    public static final String FAILED_AT = "tideline.dlq.failed-at";

    private static final int MAX_MESSAGE = 4_000;

    private DeadLetter() {}

    /** Where a rejected record came from. */
    public record Source(String topic, int partition, long offset) {}

    /**
     * Builds the dead-letter record for a rejected input.
     *
     * @param original the input record's own headers, copied first; may be null
     */
    public static ProducerRecord<byte[], byte[]> record(
            String deadLetterTopic,
            byte[] key,
            byte[] value,
            Headers original,
            String stage,
            String reason,
            Throwable error,
            Source source) {
        return record(
                deadLetterTopic,
                key,
                value,
                original,
                stage,
                reason,
                error == null ? null : error.getClass().getName(),
                error == null ? null : String.valueOf(error.getMessage()),
                source);
    }

    /**
     * Builds the dead-letter record for a rejected input whose error is known by name and message
     * (for example one decided in a stream processor rather than thrown).
     *
     * @param errorClass the error's class name, or null for a rejection that is not an error
     * @param errorMessage why, in words; may be null
     */
    public static ProducerRecord<byte[], byte[]> record(
            String deadLetterTopic,
            byte[] key,
            byte[] value,
            Headers original,
            String stage,
            String reason,
            String errorClass,
            String errorMessage,
            Source source) {
        Headers headers = new RecordHeaders();
        if (original != null) {
            original.forEach(h -> headers.add(h.key(), h.value()));
        }
        put(headers, REASON, reason);
        put(headers, STAGE, stage);
        if (errorClass != null) {
            put(headers, ERROR_CLASS, errorClass);
        }
        if (errorMessage != null) {
            put(
                    headers,
                    ERROR_MESSAGE,
                    errorMessage.length() > MAX_MESSAGE
                            ? errorMessage.substring(0, MAX_MESSAGE)
                            : errorMessage);
        }
        put(headers, SOURCE_TOPIC, source.topic());
        put(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
        put(headers, SOURCE_OFFSET, Long.toString(source.offset()));
        put(headers, FAILED_AT, Instant.now().toString());
        return new ProducerRecord<>(deadLetterTopic, null, null, key, value, headers);
    }

    /** A header's value as text, or null when absent. */
    public static String header(Headers headers, String key) {
        var h = headers.lastHeader(key);
        return h == null || h.value() == null
                ? null
                : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
