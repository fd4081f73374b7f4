package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.LATE;

import dev.tideline.schemas.avro.Transaction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Where a transaction enters the stage, on the partition its producer chose: it is validated and
 * judged against that partition's clock (the latest event time seen on it, kept in a store so that
 * it survives fail-over), and sent on to the task that owns its entity.
 *
 * <p>The owner is the partition the Java client's murmur2 partitioner chooses for the key, the one
 * Debezium's account rows and the read API use. A record already there goes on at once; one that a
 * producer with another partitioner (librdkafka's CRC32, for instance) put elsewhere is marked to
 * travel through the stage's internal topic to its owner. An entity's records keep their order, as
 * any producer partitions a key consistently.
 */
final class ArrivalProcessor implements Processor<String, Transaction, String, Arrival> {

    private final TransactionValidator validator;
    private final FeatureMetrics metrics;
    private final int partitions;
    private final Duration grace;
    private final long graceMs;

    private ProcessorContext<String, Arrival> context;
    private KeyValueStore<Integer, Long> clocks;
    private int partition;

    /** This partition's clock; the store holds the same value, restored on fail-over. */
    private Long clock;

    ArrivalProcessor(
            TransactionValidator validator,
            FeatureMetrics metrics,
            int partitions,
            Duration grace) {
        this.validator = validator;
        this.metrics = metrics;
        this.partitions = partitions;
        this.grace = grace;
        this.graceMs = grace.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Arrival> context) {
        this.context = context;
        this.clocks = context.getStateStore(FeatureTopology.CLOCK_STORE);
        this.partition = context.taskId().partition();
        // Processors are initialised after their stores are restored, so this is the clock as of
        // the last committed transaction.
        this.clock = clocks.get(partition);
    }

    @Override
    public void process(Record<String, Transaction> record) {
        metrics.event();
        Event event = validator.validate(record.key(), record.value());
        long t = event.eventTime();
        if (clock != null && t < clock - graceMs) {
            throw new RejectedRecordException(
                    LATE,
                    "event_time "
                            + Instant.ofEpochMilli(t)
                            + " is more than the grace "
                            + grace
                            + " behind partition "
                            + partition
                            + "'s latest event time "
                            + Instant.ofEpochMilli(clock));
        }
        if (clock == null || t > clock) {
            clocks.put(partition, t);
            clock = t;
        }
        boolean elsewhere = owner(event.entityId(), partitions) != partition;
        if (elsewhere) {
            metrics.repartitioned();
        }
        context.forward(
                record.withValue(new Arrival(event, record.value(), elsewhere, clock))
                        .withTimestamp(t));
    }

    /** The partition the Java client's default partitioner chooses for a string key. */
    static int owner(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
