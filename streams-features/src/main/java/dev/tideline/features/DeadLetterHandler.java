package dev.tideline.features;

import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.serde.MalformedPayloadException;
import dev.tideline.schemas.serde.SchemaResolutionException;
import dev.tideline.schemas.serde.TruncatedPayloadException;
import dev.tideline.schemas.serde.UnknownMagicByteException;
import dev.tideline.schemas.serde.UnknownSchemaIdException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every record the feature stage cannot use to its dead-letter topic and lets processing
 * continue: bytes that do not deserialize, and records the processor rejects or fails on. The
 * dead-letter records are written in the task's own transaction, so under exactly-once a record is
 * either processed or dead-lettered, once.
 *
 * <p>Kafka Streams creates this handler from its class name; {@link FeatureApp} passes the
 * dead-letter topics and the meters through the Streams configuration.
 */
public final class DeadLetterHandler
        implements DeserializationExceptionHandler, ProcessingExceptionHandler {

    /** Configuration entry: {@code Map<String, String>} from source topic to dead-letter topic. */
    public static final String TOPICS_CONFIG = "tideline.features.dead-letter-topics";

    /** Configuration entry: the {@link FeatureMetrics} to count with. */
    public static final String METRICS_CONFIG = "tideline.features.metrics";

    static final String STAGE = "streams-features";
    static final String PROCESSING_ERROR = "processing-error";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

    private Map<String, String> topics = Map.of();
    private FeatureMetrics metrics = FeatureMetrics.standalone();

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(TOPICS_CONFIG);
        if (!(t instanceof Map)) {
            throw new IllegalStateException(
                    DeadLetterHandler.class.getSimpleName()
                            + " needs "
                            + TOPICS_CONFIG
                            + " in the Streams config");
        }
        this.topics = Map.copyOf((Map<String, String>) t);
        if (configs.get(METRICS_CONFIG) instanceof FeatureMetrics m) {
            this.metrics = m;
        }
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(
            ErrorHandlerContext context,
            ConsumerRecord<byte[], byte[]> record,
            Exception exception) {
        String reason = deserializationReason(exception);
        log.warn(
                "Dead-lettering {}-{}@{}: {} ({})",
                record.topic(),
                record.partition(),
                record.offset(),
                reason,
                exception.getMessage());
        metrics.deadLetter(reason);
        return DeserializationExceptionHandler.Response.resume(
                List.of(
                        deadLetter(
                                record.topic(),
                                record.partition(),
                                record.offset(),
                                record.key(),
                                record.value(),
                                record.headers(),
                                reason,
                                exception)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(
            ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        String reason;
        if (exception instanceof RejectedRecordException rejected) {
            reason = rejected.reason();
            log.debug(
                    "Dead-lettering {}-{}@{}: {}",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    exception.getMessage());
        } else {
            // A bug or an unforeseen input: keep the partition moving, keep the record, say so
            // loudly.
            reason = PROCESSING_ERROR;
            log.error(
                    "Processing {}-{}@{} failed in {}; the record goes to the dead-letter topic",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    context.processorNodeId(),
                    exception);
        }
        metrics.deadLetter(reason);
        return ProcessingExceptionHandler.Response.resume(
                List.of(
                        deadLetter(
                                context.topic(),
                                context.partition(),
                                context.offset(),
                                context.sourceRawKey(),
                                context.sourceRawValue(),
                                context.headers(),
                                reason,
                                exception)));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(
            String topic,
            int partition,
            long offset,
            byte[] key,
            byte[] value,
            Headers headers,
            String reason,
            Exception exception) {
        String target = topics.get(topic);
        if (target == null) {
            throw new IllegalStateException("no dead-letter topic is configured for " + topic);
        }
        return DeadLetter.record(
                target,
                key,
                value,
                headers,
                STAGE,
                reason,
                exception,
                new DeadLetter.Source(topic, partition, offset));
    }

    static String deserializationReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownSchemaIdException) {
                return "unknown-schema-id";
            }
            if (t instanceof UnknownMagicByteException) {
                return "not-wire-format";
            }
            if (t instanceof TruncatedPayloadException || t instanceof MalformedPayloadException) {
                return "malformed";
            }
            if (t instanceof SchemaResolutionException) {
                return "schema-mismatch";
            }
        }
        return "deserialization";
    }
}
