package dev.tideline.features;

import dev.tideline.features.MerchantRouting.Fraud;
import dev.tideline.features.MerchantRouting.MerchantInput;
import dev.tideline.features.MerchantRouting.Vector;
import dev.tideline.schemas.avro.FeatureVector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each merchant's tiles and completes the vectors: a payment's vector, its entity features
 * already in, is folded into its merchant's state and leaves with its merchant features (payments
 * and frauds known at the merchant up to its time), keyed by its entity; a fraud label is folded in
 * at its report time. A merchant's payments and labels reach the same task and are taken in
 * timestamp order, so a payment counts the chargebacks reported before it and no later one.
 */
final class MerchantProcessor implements Processor<String, MerchantInput, String, FeatureVector> {

    private final MerchantComputer computer;
    private final MerchantState layout;
    private final FeatureMetrics metrics;
    private final Duration evictionInterval;
    private final long idleMs;

    private ProcessorContext<String, FeatureVector> context;
    private KeyValueStore<String, byte[]> merchants;

    MerchantProcessor(
            MerchantComputer computer, FeatureMetrics metrics, Duration evictionInterval) {
        this.computer = computer;
        this.layout = computer.state();
        this.metrics = metrics;
        this.evictionInterval = evictionInterval;
        this.idleMs = computer.spec().idleAfter().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, FeatureVector> context) {
        this.context = context;
        this.merchants = context.getStateStore(FeatureTopology.MERCHANT_STORE);
        context.schedule(evictionInterval, PunctuationType.WALL_CLOCK_TIME, now -> evictIdle());
    }

    @Override
    public void process(Record<String, MerchantInput> record) {
        String merchant = record.key();
        byte[] stored = merchants.get(merchant);
        byte[] state =
                stored == null || !layout.compatible(stored) ? layout.newState() : stored.clone();
        if (record.value() instanceof Fraud f) {
            computer.fraud(state, f.label().getReportedAt().toEpochMilli());
            merchants.put(merchant, state);
            return;
        }
        FeatureVector v = ((Vector) record.value()).vector();
        long t = v.getEventTime().toEpochMilli();
        long latest = stored == null ? Long.MIN_VALUE : MerchantState.latestPayment(stored);
        if (latest != Long.MIN_VALUE && latest < t - idleMs) {
            state = layout.newState(); // idle past every window: as if evicted
        }
        // As the entity side counted it: in the spec's base currency when it converts.
        double amount =
                computer.spec()
                        .money()
                        .toBase(
                                v.getAmountMinor()
                                        / Math.pow(
                                                10,
                                                TransactionValidator.currencyDigits(
                                                        v.getCurrency())),
                                v.getCurrency());
        FeatureVector done = computer.complete(state, v, amount);
        merchants.put(merchant, state);
        context.forward(record.withKey(v.getEntityId()).withValue(done).withTimestamp(t));
        metrics.completedWithMerchant();
    }

    /** Deletes merchants with no payment within the longest window, the grace and a tile. */
    private void evictIdle() {
        long now = context.currentStreamTimeMs();
        if (now < 0) {
            return;
        }
        long horizon = now - idleMs;
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = merchants.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                if (!layout.compatible(kv.value)
                        || MerchantState.latestPayment(kv.value) < horizon) {
                    idle.add(kv.key);
                }
            }
        }
        idle.forEach(merchants::delete);
        if (!idle.isEmpty()) {
            metrics.evicted(idle.size());
        }
    }
}
