package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.NON_FINITE_FEATURE;
import static dev.tideline.features.RejectedRecordException.RECORD_TOO_LARGE;

import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.FeatureVector;
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
 * Emits one feature vector per transaction, from the entity's tiled state and its account row, in
 * the task that owns the entity (transactions arrive validated and judged late or not by {@link
 * ArrivalProcessor}).
 *
 * <p>An entity whose latest event is further behind the task's partition clock than the longest
 * window, the grace and a tile is idle: its state can never contribute to a window again, so it is
 * treated as new and, by the punctuator, deleted. Because the same rule is applied when an event
 * arrives, whether the punctuator ran first never changes a vector.
 */
final class FeatureProcessor implements Processor<String, Arrival, String, FeatureVector> {

    private static final Logger log = LoggerFactory.getLogger(FeatureProcessor.class);

    private final FeatureComputer computer;
    private final StateLayout layout;
    private final FeatureMetrics metrics;
    private final Duration evictionInterval;
    private final long idleMs;
    private final int maxVectorBytes;

    private ProcessorContext<String, FeatureVector> context;
    private KeyValueStore<String, byte[]> entities;
    private KeyValueStore<Integer, Long> clocks;
    private TimestampedKeyValueStore<String, Account> accounts;
    private boolean warnedLayout;

    FeatureProcessor(
            FeatureComputer computer,
            FeatureMetrics metrics,
            Duration evictionInterval,
            int maxVectorBytes) {
        this.computer = computer;
        this.layout = computer.layout();
        this.metrics = metrics;
        this.evictionInterval = evictionInterval;
        this.maxVectorBytes = maxVectorBytes;
        FeatureSpec spec = computer.spec();
        this.idleMs = spec.maxWindow().toMillis() + spec.grace().toMillis() + spec.maxTileWidthMs();
    }

    @Override
    public void init(ProcessorContext<String, FeatureVector> context) {
        this.context = context;
        this.entities = context.getStateStore(FeatureTopology.ENTITY_STORE);
        this.clocks = context.getStateStore(FeatureTopology.CLOCK_STORE);
        this.accounts = context.getStateStore(FeatureTopology.ACCOUNT_STORE);
        context.schedule(evictionInterval, PunctuationType.WALL_CLOCK_TIME, now -> evictIdle());
    }

    /** This task's partition clock as the arrival processor left it in the store, if any yet. */
    private long clock() {
        Long clock = clocks.get(context.taskId().partition());
        return clock == null ? Arrival.UNKNOWN : clock;
    }

    @Override
    public void process(Record<String, Arrival> record) {
        long start = System.nanoTime();
        Arrival arrival = record.value();
        Event event = arrival.event();
        long t = event.eventTime();
        // A transaction that arrived here carries this partition's clock; one that came through
        // the internal topic is judged by the owner's clock, which the punctuator also uses.
        long clock = arrival.clock() != Arrival.UNKNOWN ? arrival.clock() : clock();
        long now = Math.max(clock, t);

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
        long clock = clock();
        if (clock != Arrival.UNKNOWN) {
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
