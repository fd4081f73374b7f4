package dev.tideline.training.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.training.io.Example;
import dev.tideline.training.io.LabelEvent;
import dev.tideline.training.io.Rejected;
import dev.tideline.training.io.ServedVector;
import dev.tideline.training.io.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LabelJoinTest {

    private static final long MATURITY = 1_000;
    private static final long RETENTION = 500;

    private KeyedTwoInputStreamOperatorTestHarness<String, ServedVector, LabelEvent, Example> h;

    @BeforeEach
    void open() throws Exception {
        h = harness();
        h.open();
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, ServedVector, LabelEvent, Example>
            harness() throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(
                LabelJoin.operator(Duration.ofMillis(MATURITY), Duration.ofMillis(RETENTION)),
                v -> v.txnId,
                l -> l.txnId,
                Types.STRING);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void aFraudLabelWithinMaturityMakesAPositiveAtOnceAndTheStateIsClearedAfterRetention()
            throws Exception {
        h.processElement1(vector("t1", 100), 100);
        h.processElement2(label("t1", true, 900), 900);

        assertThat(examples())
                .singleElement()
                .satisfies(
                        e -> {
                            assertThat(e.txnId).isEqualTo("t1");
                            assertThat(e.fraud).isTrue();
                            assertThat(e.values).containsExactly(1f, 100f);
                        });
        assertThat(h.numKeyedStateEntries()).as("only the settled marker remains").isEqualTo(1);
        h.processBothWatermarks(new Watermark(900 + RETENTION));
        assertThat(h.numKeyedStateEntries()).isZero();
        assertThat(examples()).hasSize(1);
    }

    /**
     * The head of the streams after start: payments every 10 ms, a fifth of them fraud with a
     * chargeback 100 ms later, the watermark following. At label, the first examples are all
     * positives until the first negatives mature; at maturity, they come in event-time order, one
     * fifth positive from the start.
     */
    @Test
    void atLabelTheFirstExamplesArePositivesAndAtMaturityTheClassesComeTogether() throws Exception {
        for (LabelJoin.Positives mode : LabelJoin.Positives.values()) {
            try (var j =
                    new KeyedTwoInputStreamOperatorTestHarness<
                            String, ServedVector, LabelEvent, Example>(
                            LabelJoin.operator(
                                    Duration.ofMillis(MATURITY),
                                    Duration.ofMillis(RETENTION),
                                    mode),
                            v -> v.txnId,
                            l -> l.txnId,
                            Types.STRING)) {
                j.open();
                for (int i = 0; i < 300; i++) {
                    long t = 10L * i;
                    j.processElement1(vector("p" + i, t), t);
                    if (i >= 10 && (i - 10) % 5 == 0) {
                        j.processElement2(label("p" + (i - 10), true, t), t);
                    }
                    j.processBothWatermarks(new Watermark(t));
                }
                j.processBothWatermarks(new Watermark(10_000));
                List<Example> out =
                        j.extractOutputValues().stream().map(Example.class::cast).toList();
                assertThat(out).as("%s: one example per payment", mode).hasSize(300);
                assertThat(out.stream().filter(e -> e.fraud).count()).isEqualTo(58);
                List<Example> first = out.subList(0, 40);
                long firstPositives = first.stream().filter(e -> e.fraud).count();
                if (mode == LabelJoin.Positives.AT_LABEL) {
                    // Chargebacks from t=100 every 50 ms; the first negative matures at t=1010.
                    assertThat(out.subList(0, 19))
                            .as("at label: every example before the first negative matures")
                            .allMatch(e -> e.fraud);
                    assertThat(firstPositives).isGreaterThan(8);
                } else {
                    assertThat(firstPositives)
                            .as("at maturity: a fifth of the first 40 examples")
                            .isEqualTo(8);
                    assertThat(out).extracting(e -> e.eventTimeMs).isSorted();
                }
                assertThat(j.numKeyedStateEntries())
                        .as("%s: nothing left once retention has passed", mode)
                        .isZero();
            }
        }
    }

    @Test
    void noLabelByMaturityMakesANegativeWhenTheWatermarkPassesIt() throws Exception {
        h.processElement1(vector("t2", 100), 100);
        h.processBothWatermarks(new Watermark(100 + MATURITY - 1));
        assertThat(examples()).isEmpty();

        h.processBothWatermarks(new Watermark(100 + MATURITY));
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isFalse());
        assertThat(h.numKeyedStateEntries()).as("a negative leaves nothing behind").isZero();

        h.processElement2(label("t2", true, 1_200), 1_200);
        assertThat(rejected()).isEmpty();
        h.processBothWatermarks(new Watermark(1_200 + MATURITY));
        assertThat(rejected())
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.reason).isEqualTo("unknown-transaction");
                            assertThat(r.message).contains("matured before the label");
                            assertThat(new String(r.source.value, StandardCharsets.UTF_8))
                                    .isEqualTo("label-t2");
                        });
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void aVectorReadAfterTheLabelsPassedItsMaturityIsDecidedAtOnceAndLeavesNoState()
            throws Exception {
        h.processElement2(label("t8", true, 300), 300);
        h.processWatermark2(new Watermark(100 + MATURITY));

        h.processElement1(vector("t9", 100), 100);
        assertThat(examples())
                .singleElement()
                .satisfies(
                        e -> {
                            assertThat(e.txnId).isEqualTo("t9");
                            assertThat(e.fraud).isFalse();
                        });
        h.processElement1(vector("t8", 100), 100);
        assertThat(examples()).hasSize(2).last().satisfies(e -> assertThat(e.fraud).isTrue());
        assertThat(h.numKeyedStateEntries()).as("only t8's labelled marker").isEqualTo(1);
        assertThat(rejected()).isEmpty();

        h.processElement1(vector("t10", 100 + 1), 100 + 1);
        assertThat(examples()).as("its maturity is not yet passed by the labels").hasSize(2);
        assertThat(h.numKeyedStateEntries()).isEqualTo(2);
    }

    @Test
    void whileTheLabelsAreIdleAVectorWaitsForItsMaturity() throws Exception {
        h.processWatermark2(new Watermark(100 + MATURITY));
        h.processWatermarkStatus2(WatermarkStatus.IDLE);
        h.processElement1(vector("t11", 100), 100);
        assertThat(examples()).isEmpty();

        h.processElement2(label("t11", true, 900), 900);
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isTrue());
    }

    @Test
    void aCleanLabelMakesANegativeAtOnceAndRepeatedLabelsAreDeadLettered() throws Exception {
        h.processElement1(vector("t3", 100), 100);
        h.processElement2(label("t3", false, 300), 300);
        h.processElement2(label("t3", false, 310), 310);
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isFalse());
        assertThat(rejected()).extracting(r -> r.reason).containsExactly("duplicate");
    }

    @Test
    void aLabelReportedAfterMaturityIsRefusedAndTheVectorStaysNegative() throws Exception {
        h.processElement1(vector("t4", 100), 100);
        // The label is late by event time although the watermark has not passed maturity yet.
        h.processElement2(label("t4", true, 100 + MATURITY + 1), 100 + MATURITY + 1);
        assertThat(rejected()).extracting(r -> r.reason).containsExactly("after-maturity");
        h.processBothWatermarks(new Watermark(100 + MATURITY));
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isFalse());
    }

    @Test
    void aLabelMayArriveBeforeItsVectorButNotForeverWithoutOne() throws Exception {
        h.processElement2(label("t5", true, 150), 150);
        h.processElement1(vector("t5", 100), 100);
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isTrue());

        h.processElement2(label("ghost", true, 200), 200);
        h.processBothWatermarks(new Watermark(200 + MATURITY));
        assertThat(rejected()).extracting(r -> r.reason).containsExactly("unknown-transaction");
        h.processBothWatermarks(new Watermark(10_000));
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void aReplayedVectorIsNotTrainedTwiceWhileItWaitsOrOnceLabelled() throws Exception {
        h.processElement1(vector("t6", 100), 100);
        h.processElement1(vector("t6", 100), 100);
        h.processElement2(label("t6", true, 500), 500);
        h.processElement1(vector("t6", 100), 100);
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.fraud).isTrue());
    }

    @Test
    void stateSurvivesASnapshotAndRestore() throws Exception {
        h.processElement1(vector("t7", 100), 100);
        var snapshot = h.snapshot(1, 1);
        h.close();
        h = harness();
        h.initializeState(snapshot);
        h.open();
        h.processBothWatermarks(new Watermark(100 + MATURITY));
        assertThat(examples()).singleElement().satisfies(e -> assertThat(e.txnId).isEqualTo("t7"));
    }

    @Test
    void readingABacklogDecidesEveryTransactionAsReadingTheHeadOfTheStreamsDoes() throws Exception {
        for (long seed = 1; seed <= 5; seed++) {
            Random random = new Random(seed);
            List<ServedVector> vectors = new ArrayList<>();
            List<LabelEvent> labels = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                long at = i * 37L;
                vectors.add(vector("v" + i, at));
                int kind = random.nextInt(10);
                if (kind < 2) { // within maturity: fraud or a clean confirmation
                    labels.add(label("v" + i, kind == 0, at + 1 + random.nextInt((int) MATURITY)));
                } else if (kind == 2) { // after maturity
                    labels.add(label("v" + i, true, at + MATURITY + 1 + random.nextInt(500)));
                }
            }
            for (int i = 0; i < 10; i++) {
                labels.add(label("ghost" + i, true, random.nextInt(300 * 37)));
            }

            // The head of the streams: both in event-time order, one watermark for both.
            h.close();
            h = harness();
            h.open();
            record Event(long at, ServedVector v, LabelEvent l) {}
            List<Event> merged = new ArrayList<>();
            vectors.forEach(v -> merged.add(new Event(v.eventTimeMs, v, null)));
            labels.forEach(l -> merged.add(new Event(l.reportedAtMs, null, l)));
            merged.sort(Comparator.comparingLong(Event::at));
            for (Event e : merged) {
                if (e.v() != null) {
                    h.processElement1(e.v(), e.at());
                } else {
                    h.processElement2(e.l(), e.at());
                }
                h.processBothWatermarks(new Watermark(e.at() - 1));
            }
            h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
            Map<String, Boolean> atTheHead = decided();
            Set<String> rejectedAtTheHead = rejectedTransactions();
            assertThat(h.numKeyedStateEntries()).isZero();

            // A backlog: the labels read to the end before the vectors.
            h.close();
            h = harness();
            h.open();
            labels.sort(Comparator.comparingLong(l -> l.reportedAtMs));
            for (LabelEvent l : labels) {
                h.processElement2(l, l.reportedAtMs);
            }
            h.processWatermark2(new Watermark(labels.get(labels.size() - 1).reportedAtMs));
            for (ServedVector v : vectors) {
                h.processElement1(v, v.eventTimeMs);
                h.processWatermark1(new Watermark(v.eventTimeMs - 1));
            }
            h.processBothWatermarks(new Watermark(Long.MAX_VALUE));

            assertThat(decided()).as("seed %d", seed).isEqualTo(atTheHead).hasSize(300);
            assertThat(rejectedTransactions()).as("seed %d", seed).isEqualTo(rejectedAtTheHead);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    private Map<String, Boolean> decided() {
        Map<String, Boolean> out = new TreeMap<>();
        for (Example e : examples()) {
            assertThat(out.put(e.txnId, e.fraud)).as("one example per transaction").isNull();
        }
        return out;
    }

    private Set<String> rejectedTransactions() {
        Set<String> out = new TreeSet<>();
        for (Rejected r : rejected()) {
            out.add(new String(r.source.key, StandardCharsets.UTF_8));
        }
        return out;
    }

    private List<Example> examples() {
        return h.extractOutputValues();
    }

    private List<Rejected> rejected() {
        ConcurrentLinkedQueue<StreamRecord<Rejected>> out = h.getSideOutput(LabelJoin.REJECTED);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    private static ServedVector vector(String txn, long at) {
        return new ServedVector(txn, at, new float[] {1f, at});
    }

    private static LabelEvent label(String txn, boolean fraud, long at) {
        return new LabelEvent(
                txn,
                fraud,
                at,
                new SourceRecord(
                        "cdc.labels",
                        0,
                        at,
                        txn.getBytes(StandardCharsets.UTF_8),
                        ("label-" + txn).getBytes(StandardCharsets.UTF_8)));
    }
}
