package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.LATE;
import static dev.tideline.features.RejectedRecordException.NON_FINITE_FEATURE;
import static dev.tideline.features.RejectedRecordException.RECORD_TOO_LARGE;

import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Transaction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emits one feature vector per transaction, from the entity's tiled state and its account row.
 *
 * <p>Lateness is judged against the partition's clock, the latest event time seen on it, kept in a
 * store so that it survives fail-over exactly as the entity states do. An entity whose latest event
 * is further behind that clock than the longest window, the grace and a tile is idle: its state can
 * never contribute to a window again, so it is treated as new and, by the punctuator, deleted.
 * Because the same rule is applied when an event arrives, whether the punctuator ran first never
 * changes a vector.
 */
final class FeatureProcessor implements Processor<String, Transaction, String, FeatureVector> {

    private static final Logger log = LoggerFactory.getLogger(FeatureProcessor.class);

    private final FeatureComputer computer;
    private final StateLayout layout;
    private final TransactionValidator validator;
    private final FeatureMetrics metrics;
    private final Duration evictionInterval;
    private final long graceMs;
    private final long idleMs;
    private final int maxVectorBytes;

    private ProcessorContext<String, FeatureVector> context;
    private KeyValueStore<String, byte[]> entities;
    private KeyValueStore<Integer, Long> clocks;
    private TimestampedKeyValueStore<String, Account> accounts;
    private boolean warnedLayout;

    /** This task's partition clock; the store holds the same value, restored on fail-over. */
    private Long clock;

    FeatureProcessor(
            FeatureComputer computer,
            TransactionValidator validator,
            FeatureMetrics metrics,
            Duration evictionInterval,
            int maxVectorBytes) {
        this.computer = computer;
        this.layout = computer.layout();
        this.validator = validator;
        this.metrics = metrics;
        this.evictionInterval = evictionInterval;
        this.maxVectorBytes = maxVectorBytes;
        FeatureSpec spec = computer.spec();
        this.graceMs = spec.grace().toMillis();
        this.idleMs = spec.maxWindow().toMillis() + graceMs + spec.maxTileWidthMs();
    }

    @Override
    public void init(ProcessorContext<String, FeatureVector> context) {
        this.context = context;
        this.entities = context.getStateStore(FeatureTopology.ENTITY_STORE);
        this.clocks = context.getStateStore(FeatureTopology.CLOCK_STORE);
        this.accounts = context.getStateStore(FeatureTopology.ACCOUNT_STORE);
        // Processors are initialised after their stores are restored, so this is the clock as of
        // the last committed transaction.
        this.clock = clocks.get(context.taskId().partition());
        context.schedule(evictionInterval, PunctuationType.WALL_CLOCK_TIME, now -> evictIdle());
    }

    @Override
    public void process(Record<String, Transaction> record) {
        long start = System.nanoTime();
        metrics.event();
        Event event = validator.validate(record.key(), record.value());
        int partition = context.taskId().partition();
        long t = event.eventTime();
        if (clock != null && t < clock - graceMs) {
            throw new RejectedRecordException(
                    LATE,
                    "event_time "
                            + Instant.ofEpochMilli(t)
                            + " is more than the grace "
                            + computer.spec().grace()
                            + " behind partition "
                            + partition
                            + "'s latest event time "
                            + Instant.ofEpochMilli(clock));
        }
        long now = clock == null ? t : Math.max(clock, t);

        byte[] stored = entities.get(event.entityId());
        byte[] state;
        if (stored != null && !layout.compatible(stored)) {
            if (!warnedLayout) {
                log.warn(
                        "Entity state in store {} was written for another feature spec; starting"
                            + " those entities afresh. Give a new spec version a new application"
                            + " id.",
                        FeatureTopology.ENTITY_STORE);
                warnedLayout = true;
            }
            state = layout.newState();
        } else if (stored == null || StateLayout.latestEventTime(stored) < now - idleMs) {
            state = layout.newState();
        } else {
            // Never mutate what the store handed out: a caching layer may still hold that array.
            state = stored.clone();
        }
        ValueAndTimestamp<Account> account = accounts.get(event.entityId());
        Profile profile =
                account == null || account.value() == null ? null : Profile.of(account.value());

        float[] values = computer.apply(state, event, profile);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new RejectedRecordException(
                        NON_FINITE_FEATURE,
                        "feature " + computer.spec().featureNames().get(i) + " is " + values[i]);
            }
        }
        FeatureVector vector = vector(event, values);
        int size = encodedSizeBound(vector);
        if (size > maxVectorBytes) {
            throw new RejectedRecordException(
                    RECORD_TOO_LARGE,
                    "its vector would take up to "
                            + size
                            + " bytes; the output topic and producer take "
                            + maxVectorBytes);
        }
        entities.put(event.entityId(), state);
        if (clock == null || now != clock) {
            clocks.put(partition, now);
            clock = now;
        }
        context.forward(record.withValue(vector).withTimestamp(t));
        metrics.vector(System.nanoTime() - start);
    }

    private FeatureVector vector(Event e, float[] values) {
        List<Float> list = new ArrayList<>(values.length);
        for (float v : values) {
            list.add(v);
        }
        FeatureSpec spec = computer.spec();
        return FeatureVector.newBuilder()
                .setTxnId(e.txnId())
                .setEntityId(e.entityId())
                .setEventTime(Instant.ofEpochMilli(e.eventTime()))
                .setSpecId(spec.id())
                .setSpecVersion(spec.version())
                .setSpecFingerprint(spec.fingerprint())
                .setValues(list)
                .setMerchantId(e.merchantId())
                .setAmountMinor(e.amountMinor())
                .setCurrency(e.currency())
                .setComputedAt(Instant.now())
                .build();
    }

    /**
     * An upper bound of the vector's size in the wire format: the 5-byte header, each string's
     * UTF-8 bytes and length, the values, the longs at their widest.
     */
    static int encodedSizeBound(FeatureVector v) {
        int strings =
                utf8(v.getTxnId())
                        + utf8(v.getEntityId())
                        + utf8(v.getSpecId())
                        + utf8(v.getSpecFingerprint())
                        + utf8(v.getMerchantId())
                        + utf8(v.getCurrency());
        return 5 + strings + 6 * 5 + 4 * v.getValues().size() + 10 + 4 * 10 + 64;
    }

    private static int utf8(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        return n;
    }

    /** Deletes entities idle past the longest window, the grace and a tile. */
    void evictIdle() {
        String task = context.taskId().toString();
        if (clock != null) {
            long horizon = clock - idleMs;
            List<String> idle = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = entities.all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    if (!layout.compatible(kv.value)
                            || StateLayout.latestEventTime(kv.value) < horizon) {
                        idle.add(kv.key);
                    }
                }
            }
            idle.forEach(entities::delete);
            if (!idle.isEmpty()) {
                metrics.evicted(idle.size());
                log.debug("Task {} evicted {} idle entities", task, idle.size());
            }
        }
        metrics.stateEntries(task, entities.approximateNumEntries());
    }

    @Override
    public void close() {
        if (context != null) {
            metrics.taskClosed(context.taskId().toString());
        }
    }
}
