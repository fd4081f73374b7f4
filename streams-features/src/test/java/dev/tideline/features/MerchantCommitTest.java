package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.features.MerchantRouting.Fraud;
import dev.tideline.features.MerchantRouting.MerchantInput;
import dev.tideline.features.MerchantRouting.Vector;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The merchant hop asks for a commit as soon as it completes a vector, at most once per gap, so a
 * payment does not wait for the commit interval at both hops; with no gap it leaves the commits to
 * the interval.
 */
class MerchantCommitTest {

    private static final FeatureSpec SPEC = FeatureSpec.builtin(FeatureSpec.DEFAULT);
    private static final long T0 = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();

    private final MockProcessorContext<String, FeatureVector> context =
            new MockProcessorContext<>();

    private MerchantProcessor processor(Duration gap) {
        KeyValueStore<String, byte[]> store =
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(FeatureTopology.MERCHANT_STORE),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withLoggingDisabled()
                        .build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        context.setCurrentSystemTimeMs(T0);
        MerchantProcessor p =
                new MerchantProcessor(
                        new MerchantComputer(SPEC),
                        FeatureMetrics.standalone(),
                        Duration.ofMinutes(1),
                        gap);
        p.init(context);
        return p;
    }

    private static Record<String, MerchantInput> payment(int i) {
        List<Float> values = new ArrayList<>(Collections.nCopies(SPEC.featureNames().size(), 0f));
        FeatureVector v =
                FeatureVector.newBuilder()
                        .setTxnId("t" + i)
                        .setEntityId("e1")
                        .setEventTime(Instant.ofEpochMilli(T0 + i))
                        .setSpecId(SPEC.id())
                        .setSpecVersion(SPEC.version())
                        .setSpecFingerprint(SPEC.fingerprint())
                        .setValues(values)
                        .setMerchantId("m1")
                        .setAmountMinor(1_000)
                        .setCurrency("EUR")
                        .setComputedAt(Instant.ofEpochMilli(T0 + i))
                        .build();
        return new Record<>("m1", new Vector(v), T0 + i);
    }

    private static Record<String, MerchantInput> fraud() {
        Label label =
                Label.newBuilder()
                        .setTxnId("t0")
                        .setAccountId("e1")
                        .setIsFraud(true)
                        .setReportedAt(Instant.ofEpochMilli(T0 + 5))
                        .setMerchantId("m1")
                        .build();
        return new Record<>("m1", new Fraud(label), T0 + 5);
    }

    @Test
    void asksForACommitAsSoonAsItCompletesAVector() {
        MerchantProcessor p = processor(Duration.ofMillis(50));

        p.process(payment(1));

        assertThat(context.forwarded()).hasSize(1);
        assertThat(context.committed()).isTrue();
    }

    @Test
    void asksAtMostOncePerGap() {
        MerchantProcessor p = processor(Duration.ofMillis(50));
        p.process(payment(1));
        context.resetCommit();

        context.setCurrentSystemTimeMs(T0 + 49);
        p.process(payment(2));
        assertThat(context.committed()).as("49 ms after the last request").isFalse();

        context.setCurrentSystemTimeMs(T0 + 50);
        p.process(payment(3));
        assertThat(context.committed()).as("50 ms after the last request").isTrue();
    }

    @Test
    void aFraudLabelCompletesNothingAndAsksNothing() {
        MerchantProcessor p = processor(Duration.ofMillis(50));

        p.process(fraud());

        assertThat(context.forwarded()).isEmpty();
        assertThat(context.committed()).isFalse();
    }

    @Test
    void withoutAGapTheCommitsAreLeftToTheInterval() {
        MerchantProcessor p = processor(null);

        p.process(payment(1));
        p.process(payment(2));

        assertThat(context.forwarded()).hasSize(2);
        assertThat(context.committed()).isFalse();
    }
}
