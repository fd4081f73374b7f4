package dev.tideline.training.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.io.Example;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.Optimizer;
import java.time.Duration;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LearnerTest {

    static TrainingSettings settings(int updateEvery, int learners) {
        return new TrainingSettings(
                "fraud",
                ModelKind.LOGISTIC_REGRESSION,
                2,
                0,
                1,
                Optimizer.Kind.SGD,
                0.5f,
                0,
                2,
                updateEvery,
                Duration.ofSeconds(5),
                learners,
                Duration.ofSeconds(2),
                2,
                1_000,
                Duration.ofHours(1),
                1.0,
                1f);
    }

    private static TwoInputStreamOperatorTestHarness<Example, GlobalState, ModelUpdate> harness()
            throws Exception {
        return new TwoInputStreamOperatorTestHarness<>(new Learner(settings(4, 1)));
    }

    @Test
    void scoresThenTrainsAndReportsItsDeltaEveryKExamples() throws Exception {
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < 3; i++) {
                h.processElement1(example(i, i % 2 == 0), i);
            }
            assertThat(updates(h)).isEmpty();
            h.processElement1(example(3, false), 3);

            ModelUpdate u = updates(h).get(0);
            assertThat(u.examples).isEqualTo(4);
            assertThat(u.baseVersion).isZero();
            assertThat(u.metrics.count).as("each example scored before training").isEqualTo(4);
            assertThat(u.metrics.toMetrics().positiveCount()).isEqualTo(2);
            assertThat(u.scaler.count).isEqualTo(4);
            assertThat(u.maxEventTimeMs).isEqualTo(3);
            assertThat(u.delta).as("it trained").isNotEqualTo(new float[3]);
        }
    }

    @Test
    void carriesUnreportedProgressOntoANewerGlobalAndIgnoresVersionsItHolds() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(example(0, true), 0);
            h.processElement1(example(1, false), 1);
            h.processElement2(ours(h, global(1, new float[] {0.25f, -0.5f, 0.1f})), 0);
            assertThat(updates(h)).as("nothing is sent stale on adoption").isEmpty();

            h.processElement2(ours(h, global(1, new float[] {9, 9, 9})), 0);
            h.processElement2(ours(h, global(0, new float[] {9, 9, 9})), 0);
            h.processElement1(example(2, false), 2);
            h.processElement1(example(3, true), 3);

            ModelUpdate u = updates(h).get(0);
            assertThat(u.baseVersion).isEqualTo(1);
            assertThat(u.examples).as("two carried over, two since").isEqualTo(4);
            assertThat(u.metrics.count).isEqualTo(4);
        }
    }

    @Test
    void ignoresGlobalsOfAnotherRunOfTheJobWhateverTheirVersion() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(example(0, true), 0);
            h.processElement1(example(1, false), 1);
            // What a crashed attempt wrote after the checkpoint this run restored from.
            GlobalState stale = global(5, new float[] {9, 9, 9});
            stale.lineage = "a-crashed-attempt/0";
            h.processElement2(stale, 0);
            GlobalState unstamped = global(6, new float[] {9, 9, 9});
            h.processElement2(unstamped, 0);
            h.processElement1(example(2, false), 2);
            h.processElement1(example(3, true), 3);
            assertThat(updates(h).get(0).baseVersion).as("neither was adopted").isZero();

            h.processElement2(ours(h, global(1, new float[] {0.25f, -0.5f, 0.1f})), 0);
            for (int i = 4; i < 8; i++) {
                h.processElement1(example(i, i % 2 == 0), i);
            }
            assertThat(updates(h).get(1).baseVersion).as("its own run's global").isEqualTo(1);
        }
    }

    @Test
    void holdsItsUpdateOnceItIsMaxStalenessAheadOfItsVersion() throws Exception {
        try (var h = harness()) {
            h.open();
            // Bound 2: three updates on version 0, then it trains on and holds the rest.
            for (int i = 0; i < 20; i++) {
                h.processElement1(example(i, i % 3 == 0), i);
            }
            assertThat(updates(h)).hasSize(3).allSatisfy(u -> assertThat(u.examples).isEqualTo(4));
            h.processElement2(ours(h, global(1, new float[] {0, 0, 0})), 0);
            h.processElement1(example(20, false), 20);
            assertThat(updates(h)).hasSize(4);
            assertThat(updates(h).get(3).examples).as("the held examples go with it").isEqualTo(9);
            assertThat(updates(h).get(3).baseVersion).isEqualTo(1);
        }
    }

    @Test
    void countsItsUpdatesInFlightFromTheAggregatorsCountOfThoseTaken() throws Exception {
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < 20; i++) {
                h.processElement1(example(i, i % 3 == 0), i);
            }
            assertThat(updates(h)).hasSize(3);
            // Version 1 took all three (one round held them): none is in flight, so the held
            // update goes at once, and two more may follow on version 1.
            GlobalState v1 = global(1, new float[] {0, 0, 0});
            v1.taken = new long[] {3};
            h.processElement2(ours(h, v1), 0);
            assertThat(updates(h)).hasSize(4);
            assertThat(updates(h).get(3).examples).isEqualTo(8);
            for (int i = 20; i < 28; i++) {
                h.processElement1(example(i, false), i);
            }
            assertThat(updates(h)).as("three on version 1, then it holds").hasSize(6);
            assertThat(updates(h).subList(3, 6))
                    .allSatisfy(u -> assertThat(u.baseVersion).isEqualTo(1));
        }
    }

    @Test
    void flushesAPartialUpdateAfterAQuietSpell() throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.open();
            h.processElement1(example(0, true), 0);
            h.setProcessingTime(4_000);
            assertThat(updates(h)).isEmpty();
            h.setProcessingTime(10_000);
            assertThat(updates(h))
                    .singleElement()
                    .satisfies(u -> assertThat(u.examples).isEqualTo(1));
        }
    }

    @Test
    void pendingExamplesSurviveACheckpointAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < 3; i++) {
                h.processElement1(example(i, false), i);
            }
            snapshot = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement1(example(3, true), 3);
            assertThat(updates(h))
                    .singleElement()
                    .satisfies(
                            u -> {
                                assertThat(u.examples).isEqualTo(4);
                                assertThat(u.metrics.count).isEqualTo(4);
                            });
        }
    }

    @Test
    void sendsAHeldUpdateAfterTwoRoundTimeoutsWithoutANewerVersion() throws Exception {
        try (var h = harness()) {
            h.setProcessingTime(0);
            h.open();
            for (int i = 0; i < 20; i++) {
                h.processElement1(example(i, i % 3 == 0), i);
            }
            assertThat(updates(h)).as("three sent, the rest held").hasSize(3);
            // Examples keep flowing, so the learner is not quiet; no newer version comes.
            h.setProcessingTime(4_999);
            h.processElement1(example(20, false), 20);
            h.setProcessingTime(5_000);
            assertThat(updates(h)).hasSize(4);
            assertThat(updates(h).get(3).examples).as("everything held goes").isEqualTo(9);
        }
    }

    static Example example(int i, boolean fraud) {
        return new Example("t" + i, new float[] {fraud ? 2f : -1f, i}, fraud, i);
    }

    static GlobalState global(long version, float[] params) {
        FeatureScaler scaler = new FeatureScaler(2);
        scaler.add(new float[] {0, 0});
        scaler.add(new float[] {1, 2});
        return new GlobalState(
                version,
                new Network(ModelKind.LOGISTIC_REGRESSION, new int[] {2, 1}, params),
                scaler,
                2,
                0);
    }

    /** {@code g}, as the aggregator of the harness's own run would stamp it. */
    private static GlobalState ours(
            TwoInputStreamOperatorTestHarness<Example, GlobalState, ModelUpdate> h, GlobalState g) {
        g.lineage = Lineage.of(((Learner) h.getOperator()).getRuntimeContext());
        return g;
    }

    private static List<ModelUpdate> updates(
            TwoInputStreamOperatorTestHarness<Example, GlobalState, ModelUpdate> h) {
        return h.extractOutputValues();
    }
}
