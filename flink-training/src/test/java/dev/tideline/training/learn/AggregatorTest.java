package dev.tideline.training.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.ScoreLog;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class AggregatorTest {

    private static OneInputStreamOperatorTestHarness<ModelUpdate, GlobalState> harness(int learners)
            throws Exception {
        var h =
                new OneInputStreamOperatorTestHarness<>(
                        new Aggregator(LearnerTest.settings(4, learners)));
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    @Test
    void averagesARoundWeightedByExamplesOnceEveryLearnerReported() throws Exception {
        try (var h = harness(2)) {
            h.processElement(update(0, 0, 30, 1f, 0f, 0f), 0);
            assertThat(globals(h)).isEmpty();
            h.processElement(update(1, 0, 10, -1f, 2f, 0f), 0);

            GlobalState v1 = globals(h).get(0);
            assertThat(v1.version).isEqualTo(1);
            assertThat(v1.network.params[0]).isCloseTo((30 * 1f - 10) / 40, offset(1e-6f));
            assertThat(v1.network.params[1]).isCloseTo(20f / 40, offset(1e-6f));
            assertThat(v1.scaler.count).as("statistics of every update merged").isEqualTo(40);
            assertThat(v1.lineage)
                    .as("stamped with this run, for the learners")
                    .isEqualTo(Lineage.of(((Aggregator) h.getOperator()).getRuntimeContext()))
                    .contains("/0");
        }
    }

    @Test
    void eachVersionCountsPerLearnerTheUpdatesTakenSoFar() throws Exception {
        try (var h = harness(2)) {
            // Learner 0 sends two updates before learner 1's first: one round takes all three.
            h.processElement(update(0, 0, 5, 1f, 0f, 0f), 0);
            h.processElement(update(0, 0, 5, 1f, 0f, 0f), 0);
            h.processElement(update(1, 0, 5, 0f, 1f, 0f), 0);
            assertThat(globals(h))
                    .singleElement()
                    .satisfies(g -> assertThat(g.taken).containsExactly(2, 1));
            // One in the open round is not taken yet; a discarded one is.
            h.processElement(update(1, 1, 5, 0f, 1f, 0f), 0);
            h.setProcessingTime(2_000);
            assertThat(globals(h).get(1).taken).containsExactly(2, 2);
            h.processElement(update(0, 1, 5, 0f, 1f, 0f), 0);
            h.processElement(update(1, 2, 5, 0f, 1f, 0f), 0);
            h.processElement(update(0, 3, 5, 0f, 1f, 0f), 0);
            h.processElement(update(1, 0, 5, 0f, 1f, 0f), 0); // 3 behind, bound 2
            assertThat(globals(h)).extracting(g -> g.version).containsExactly(1L, 2L, 3L, 3L);
            assertThat(globals(h).get(3).taken)
                    .as("v3 again: learner 0's update waits in the open round")
                    .containsExactly(3, 4);
        }
    }

    @Test
    void closesARoundWithoutAStragglerAfterTheTimeout() throws Exception {
        try (var h = harness(2)) {
            h.processElement(update(0, 0, 5, 1f, 0f, 0f), 0);
            h.setProcessingTime(1_999);
            assertThat(globals(h)).isEmpty();
            h.setProcessingTime(2_000);
            assertThat(globals(h))
                    .singleElement()
                    .satisfies(
                            g -> {
                                assertThat(g.version).isEqualTo(1);
                                assertThat(g.network.params[0]).isEqualTo(1f);
                            });
            // The straggler's update, still based on v0, joins the next round.
            h.processElement(update(1, 0, 5, 0f, 1f, 0f), 0);
            h.setProcessingTime(4_500);
            assertThat(globals(h)).hasSize(2);
            assertThat(globals(h).get(1).network.params[1]).isEqualTo(1f);
        }
    }

    @Test
    void discardsUpdatesStalerThanTheBoundAndCountsThem() throws Exception {
        try (var h = harness(1)) {
            for (int v = 0; v < 3; v++) {
                h.processElement(update(0, v, 1, 1f, 0f, 0f), 0);
            }
            assertThat(globals(h)).hasSize(3);
            h.processElement(update(0, 0, 7, 100f, 0f, 0f), 0); // 3 behind, bound 2
            assertThat(globals(h))
                    .as("no round, but v3 again for the learner that fell behind")
                    .hasSize(4);
            assertThat(globals(h).get(3).version).isEqualTo(3);
            assertThat(globals(h).get(3).network.params[0]).isEqualTo(3f);
            h.processElement(update(0, 0, 2, 100f, 0f, 0f), 0); // stale again: v3 went out once
            assertThat(globals(h)).hasSize(4);
            h.processElement(update(0, 1, 1, 1f, 0f, 0f), 0); // 2 behind: accepted
            assertThat(globals(h)).hasSize(5);
            assertThat(globals(h).get(4).network.params[0]).isEqualTo(4f);

            h.setProcessingTime(3_600_000); // the hourly release check
            ReleaseCandidate c = releases(h).get(0);
            assertThat(c.globalVersion).isEqualTo(4);
            assertThat(c.updatesDiscarded).isEqualTo(2);
            assertThat(c.examplesDiscarded).isEqualTo(9);
            assertThat(c.examplesTrained).as("discarded examples were trained too").isEqualTo(13);
        }
    }

    @Test
    void releasesOnlyWhenTheModelMoved() throws Exception {
        try (var h = harness(1)) {
            h.setProcessingTime(3_600_000);
            assertThat(releases(h)).isEmpty();
            h.processElement(update(0, 0, 3, 1f, 0f, 0f), 0);
            h.setProcessingTime(7_200_000);
            assertThat(releases(h))
                    .singleElement()
                    .satisfies(
                            c -> {
                                assertThat(c.window.count).isEqualTo(3);
                                assertThat(c.examplesTrained).isEqualTo(3);
                            });
        }
    }

    @Test
    void anOpenRoundAndItsTimersSurviveACheckpointAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(2)) {
            h.processElement(update(0, 0, 4, 1f, 0f, 0f), 0);
            h.processElement(update(1, 0, 4, 1f, 0f, 0f), 0);
            h.setProcessingTime(100);
            h.processElement(update(0, 1, 6, 0f, 2f, 0f), 0); // opens round 2
            snapshot = h.snapshot(1, 100);
        }
        var settings = LearnerTest.settings(4, 2);
        try (var h = new OneInputStreamOperatorTestHarness<>(new Aggregator(settings))) {
            h.setProcessingTime(1_000);
            h.initializeState(snapshot);
            h.open();
            assertThat(globals(h)).isEmpty();
            h.setProcessingTime(2_100); // the round's timeout, set again on restore
            assertThat(globals(h))
                    .singleElement()
                    .satisfies(
                            g -> {
                                assertThat(g.version).isEqualTo(2);
                                assertThat(g.network.params).containsExactly(1f, 2f, 0f);
                                assertThat(g.scaler.count).isEqualTo(14);
                            });
            h.setProcessingTime(3_600_000); // the release check, from before the restore
            assertThat(releases(h))
                    .singleElement()
                    .satisfies(
                            c -> {
                                assertThat(c.globalVersion).isEqualTo(2);
                                assertThat(c.examplesTrained).isEqualTo(14);
                                assertThat(c.window.count).isEqualTo(14);
                            });
        }
    }

    /**
     * A crash right after a checkpoint that caught the aggregator three versions ahead of the
     * learners: the versions in between went out under the crashed run, which the restored learners
     * ignore. The learners' updates are too stale; the restored aggregator sends its version again
     * under its own run, and rounds close again once the learners hold it.
     */
    @Test
    void afterARestoreLearnersTooFarBehindGetTheVersionAgainAndRoundsResume() throws Exception {
        OperatorSubtaskState snapshot;
        String crashedRun;
        try (var h = harness(1)) {
            crashedRun = Lineage.of(((Aggregator) h.getOperator()).getRuntimeContext());
            for (int v = 0; v < 3; v++) {
                h.processElement(update(0, 0, 1, 1f, 0f, 0f), 0); // v1..v3, learner still on v0
            }
            snapshot = h.snapshot(1, 0);
        }
        var settings = LearnerTest.settings(4, 1);
        try (var h = new OneInputStreamOperatorTestHarness<>(new Aggregator(settings))) {
            h.initializeState(snapshot);
            h.open();
            String restoredRun = Lineage.of(((Aggregator) h.getOperator()).getRuntimeContext());
            assertThat(restoredRun).as("the restored run").isNotEqualTo(crashedRun);

            h.processElement(update(0, 0, 5, 1f, 0f, 0f), 0); // the restored learner, on v0
            assertThat(globals(h))
                    .as("v3 again, for learners that can adopt only this run's versions")
                    .singleElement()
                    .satisfies(
                            g -> {
                                assertThat(g.version).isEqualTo(3);
                                assertThat(g.lineage).isEqualTo(restoredRun);
                            });
            h.processElement(update(0, 3, 5, 1f, 0f, 0f), 0); // after adopting it
            assertThat(globals(h)).hasSize(2);
            assertThat(globals(h).get(1).version).as("a round closed again").isEqualTo(4);
        }
    }

    static ModelUpdate update(int learner, long base, long examples, float... delta) {
        FeatureScaler scaler = new FeatureScaler(2);
        ScoreLog metrics = new ScoreLog((int) examples);
        for (int i = 0; i < examples; i++) {
            scaler.add(new float[] {i, 1});
            metrics.addAll(new float[] {0.5f}, new boolean[] {i % 2 == 0}, 1);
        }
        return new ModelUpdate(learner, base, examples, delta, scaler, metrics, 10);
    }

    private static List<GlobalState> globals(
            OneInputStreamOperatorTestHarness<ModelUpdate, GlobalState> h) {
        return h.extractOutputValues();
    }

    private static List<ReleaseCandidate> releases(
            OneInputStreamOperatorTestHarness<ModelUpdate, GlobalState> h) {
        ConcurrentLinkedQueue<StreamRecord<ReleaseCandidate>> out =
                h.getSideOutput(Aggregator.RELEASES);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }
}
