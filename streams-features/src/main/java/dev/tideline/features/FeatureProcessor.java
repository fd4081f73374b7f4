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
 * <p>An entity keeps its history (time since its last event, its running statistics, its last
 * value) for the entity TTL after its latest event, however long it stays silent; its window tiles
 * empty out with time on their own. An entity whose latest event is further behind the task's
 * partition clock than the TTL is treated as new and, by the punctuator, deleted. Because the same
 * rule is applied when an event arrives, whether the punctuator ran first never changes a vector.
 * The punctuator finds those entities through an {@link ExpiryIndex}, so a run costs what it
 * evicts, not a scan of the store.
 */
final class FeatureProcessor implements Processor<String, Arrival, String, FeatureVector> {

    private static final Logger log = LoggerFactory.getLogger(FeatureProcessor.class);

    private final FeatureComputer computer;
    private final StateLayout layout;
    private final FeatureMetrics metrics;
    private final Duration evictionInterval;
    private final long ttlMs;
    private final int maxVectorBytes;

    private ProcessorContext<String, FeatureVector> context;
    private KeyValueStore<String, byte[]> entities;
    private KeyValueStore<Integer, Long> clocks;
    private TimestampedKeyValueStore<String, Account> accounts;
    private ExpiryIndex expiry;
    private boolean warnedLayout;

    /**
     * @param entityTtl how long an entity's history is kept after its latest event; at least the
     *     spec's {@link FeatureSpec#idleAfter()}, which {@link FeatureConfig#entityTtl} checks
     */
    FeatureProcessor(
            FeatureComputer computer,
            FeatureMetrics metrics,
            Duration evictionInterval,
            Duration entityTtl,
            int maxVectorBytes) {
        this.computer = computer;
        this.layout = computer.layout();
        this.metrics = metrics;
        this.evictionInterval = evictionInterval;
        this.ttlMs = entityTtl.toMillis();
        this.maxVectorBytes = maxVectorBytes;
    }

    @Override
    public void init(ProcessorContext<String, FeatureVector> context) {
        this.context = context;
        this.entities = context.getStateStore(FeatureTopology.ENTITY_STORE);
        this.clocks = context.getStateStore(FeatureTopology.CLOCK_STORE);
        this.accounts = context.getStateStore(FeatureTopology.ACCOUNT_STORE);
        this.expiry =
                new ExpiryIndex(
                        context.getStateStore(FeatureTopology.ENTITY_EXPIRY_STORE),
                        ExpiryIndex.bucketFor(ttlMs));
        if (!expiry.complete()) {
            indexAll();
        }
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
        boolean foreign = stored != null && !layout.compatible(stored);
        long before =
                stored == null || foreign
                        ? StateLayout.NO_TIME
                        : StateLayout.latestEventTime(stored);
        byte[] state;
        if (foreign) {
            if (!warnedLayout) {
                log.warn(
                        "Entity state in store {} was written for another feature spec; starting"
                            + " those entities afresh. Give a new spec version a new application"
                            + " id.",
                        FeatureTopology.ENTITY_STORE);
                warnedLayout = true;
            }
            state = layout.newState();
        } else if (stored == null || before < now - ttlMs) {
            // Silent past the TTL: as if evicted.
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
        expiry.moved(event.entityId(), before, StateLayout.latestEventTime(state));
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

    /**
     * Deletes the entities whose latest event is further behind the partition clock than the TTL.
     * The index names the candidates; each is checked against its state, which is the truth, and an
     * index entry that no longer matches its entity's latest event is dropped.
     */
    void evictIdle() {
        String task = context.taskId().toString();
        long clock = clock();
        if (clock != Arrival.UNKNOWN) {
            long started = System.nanoTime();
            long horizon = clock - ttlMs;
            int evicted = 0;
            List<ExpiryIndex.Candidate> candidates = expiry.before(horizon);
            for (ExpiryIndex.Candidate c : candidates) {
                byte[] state = entities.get(c.key());
                if (state != null
                        && (!layout.compatible(state)
                                || StateLayout.latestEventTime(state) < horizon)) {
                    entities.delete(c.key());
                    evicted++;
                }
                // Either evicted, or active again under a later bucket's entry.
                expiry.remove(c);
            }
            metrics.eviction(System.nanoTime() - started, evicted);
            if (!candidates.isEmpty()) {
                log.debug(
                        "Task {} evicted {} idle entities of {} candidates",
                        task,
                        evicted,
                        candidates.size());
            }
        }
        metrics.stateEntries(task, entities.approximateNumEntries());
    }

    /**
     * Indexes every entity of a store written before the index existed, once: a state of another
     * layout is indexed as long expired, so the next run deletes it.
     */
    private void indexAll() {
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = entities.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                long latest =
                        layout.compatible(kv.value)
                                ? StateLayout.latestEventTime(kv.value)
                                : Long.MIN_VALUE / 2;
                expiry.moved(kv.key, StateLayout.NO_TIME, latest);
                n++;
            }
        }
        expiry.markComplete();
        if (n > 0) {
            log.info("Task {} indexed {} entities for eviction", context.taskId(), n);
        }
    }

    @Override
    public void close() {
        if (context != null) {
            metrics.taskClosed(context.taskId().toString());
        }
    }
}
