package dev.tideline.training.publish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.io.Example;
import dev.tideline.training.learn.ReleaseCandidate;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class PublisherTest {

    @Test
    void numbersValidatedReleasesConsecutivelyAndFlagsWorseOnesAsCandidates() throws Exception {
        try (var h = harness(new Publisher(new SpecIdentity("payments", 1, "fp"), 0.02, 1_000))) {
            h.open();
            h.processElement1(candidate(1, 0.90, 0.1f), 0);
            h.processElement1(candidate(2, 0.89, Float.NaN), 0); // fails validation
            h.processElement1(candidate(3, 0.89, 0.2f), 0); // within the margin
            h.processElement1(candidate(4, 0.80, 0.3f), 0); // worse by more than 0.02
            h.processElement1(candidate(5, 0.885, 0.4f), 0); // compared with 0.89, not 0.80
            ReleaseCandidate small = candidate(6, 0.9, 0.5f); // cumulative AUC 0.9
            small.window = new ProgressiveMetrics();
            small.window.add(0.9f, false);
            small.window.add(0.1f, true); // AUC 0 on two examples: too few to judge
            h.processElement1(small, 0);

            List<Release> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.version).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(out)
                    .extracting(r -> r.promotable)
                    .as("a tiny window is judged on the cumulative AUC")
                    .containsExactly(true, true, false, true, true);
            assertThat(out).extracting(r -> r.parentVersion).containsExactly(-1L, 1L, 2L, 3L, 4L);
            Release first = out.get(0);
            assertThat(first.sha256)
                    .isEqualTo(
                            HexFormat.of()
                                    .formatHex(
                                            MessageDigest.getInstance("SHA-256")
                                                    .digest(first.onnx)));
            assertThat(first.specFingerprint).isEqualTo("fp");
            assertThat(first.inputWidth).isEqualTo(2);
            assertThat(first.metrics).containsKeys("auc", "log_loss", "examples_trained");
            assertThat(first.metrics.get("auc")).isBetween(0.899, 0.901);
            assertThat(first.trainingWatermarkMs).isEqualTo(1_000);
        }
    }

    @Test
    void promotesOnlyAModelThatBeatsAConstantScoreOnEnoughExamples() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(candidate(1, 0.40, 0.1f), 0); // worse than a constant
            ReleaseCandidate few = candidate(2, 0.95, 0.2f);
            few.total = new ProgressiveMetrics();
            few.total.add(0.9f, true);
            few.total.add(0.1f, false); // two examples so far: too few to promote
            few.window = few.total.copy();
            h.processElement1(few, 0);
            h.processElement1(candidate(3, 0.85, 0.3f), 0);
            assertThat(h.extractOutputValues())
                    .extracting(r -> r.promotable)
                    .containsExactly(false, false, true);
        }
    }

    @Test
    void aReleasesAucIsNeverNaNAndSaysWhatItWasJudgedOn() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(candidate(1, 0.9, 0.1f), 0);
            ReleaseCandidate oneClass = candidate(2, 0.9, 0.2f);
            oneClass.window = new ProgressiveMetrics();
            for (int i = 0; i < 2_000; i++) {
                oneClass.window.add(0.1f, false); // no positive since the last release
            }
            h.processElement1(oneClass, 0);
            ReleaseCandidate none = candidate(3, 0.9, 0.3f);
            none.window = oneClass.window.copy();
            none.total = oneClass.window.copy(); // no positive at all
            h.processElement1(none, 0);

            List<Release> out = h.extractOutputValues();
            assertThat(out).allSatisfy(r -> assertThat(r.metrics.get("auc")).isNotNaN());
            assertThat(out.get(0).metrics).containsEntry("auc_on_total", 0.0);
            assertThat(out.get(1).metrics.get("auc")).isBetween(0.899, 0.901);
            assertThat(out.get(1).metrics).containsEntry("auc_on_total", 1.0);
            assertThat(out.get(1).metrics).doesNotContainKey("auc_window");
            assertThat(out.get(2).metrics).containsEntry("auc", 0.5);
            assertThat(out.get(2).promotable).isFalse();
        }
    }

    @Test
    void aWindowWithTooFewPositivesIsJudgedOnEverythingSoFarAndSaysSo() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(candidate(1, 0.9, 0.1f), 0);
            // 2,000 examples since the last release but three positives, all ranked low: an AUC
            // of a window this thin says nothing of the model.
            ReleaseCandidate thin = candidate(2, 0.9, 0.2f);
            thin.window = new ProgressiveMetrics();
            for (int i = 0; i < 3; i++) {
                thin.window.add(0.05f, true);
            }
            for (int i = 0; i < 2_000; i++) {
                thin.window.add(0.1f, false);
            }
            thin.total.merge(thin.window);
            h.processElement1(thin, 0);

            Release r = h.extractOutputValues().get(1);
            assertThat(r.metrics).containsEntry("auc_on_total", 1.0);
            assertThat(r.metrics).containsEntry("positives_window", 3.0);
            assertThat(r.metrics.get("auc_window")).isLessThan(0.01);
            assertThat(r.metrics.get("auc")).isEqualTo(r.metrics.get("auc_total"));
            assertThat(r.metrics.get("auc")).isGreaterThan(0.85);
        }
    }

    @Test
    void aHoldoutWithTooFewPositivesDoesNotJudgeYet() throws Exception {
        try (var h =
                harness(
                        new Publisher(
                                new SpecIdentity("payments", 1, "fp"), 0.02, 1_000, 400, 100))) {
            h.open();
            // 400 examples, 5 of them fraud (high first value): too few to rank a model by.
            for (int i = 0; i < 400; i++) {
                float x = i < 5 ? 1.9f : 0.1f + i / 1000f;
                h.processElement2(new Example("h" + i, new float[] {x, 1}, i < 5, i), 0);
            }
            h.processElement1(candidate(1, 0.90, 5f), 0);
            // Ranks those five last: on this holdout it would lose to the champion.
            h.processElement1(candidate(2, 0.90, -5f), 0);

            List<Release> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.promotable).containsExactly(true, true);
            assertThat(out.get(1).metrics).doesNotContainKey("holdout_auc");
            assertThat(out.get(1).metrics).containsEntry("holdout_size", 400.0);
        }
    }

    @Test
    void refusesACandidateThatLosesToTheChampionOnTheHoldoutWhateverItsProgressiveAuc()
            throws Exception {
        try (var h =
                harness(
                        new Publisher(
                                new SpecIdentity("payments", 1, "fp"), 0.02, 1_000, 400, 100))) {
            h.open();
            // Recent matured examples the learners never saw: fraud when the first value is high.
            java.util.Random random = new java.util.Random(3);
            for (int i = 0; i < 400; i++) {
                float x = 2 * random.nextFloat();
                h.processElement2(new Example("h" + i, new float[] {x, 1}, x > 1.4f, i), 0);
            }
            // The champion ranks the holdout well.
            h.processElement1(candidate(1, 0.90, 5f), 0);
            // Trained on label-flipped data, this one's progressive AUC (measured on the same
            // flipped stream) looks better still; on the holdout it ranks backwards.
            h.processElement1(candidate(2, 0.95, -5f), 0);
            // A model as good as the champion is promoted.
            h.processElement1(candidate(3, 0.91, 4f), 0);

            List<Release> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.version).containsExactly(1L, 2L, 3L);
            assertThat(out.get(0).promotable).isTrue();
            assertThat(out.get(0).metrics.get("holdout_auc")).isGreaterThan(0.95);
            assertThat(out.get(0).metrics).containsEntry("holdout_size", 400.0);
            assertThat(out.get(0).metrics).doesNotContainKey("champion_holdout_auc");

            Release flipped = out.get(1);
            assertThat(flipped.metrics.get("auc"))
                    .as("the progressive gate alone would have passed it")
                    .isGreaterThanOrEqualTo(out.get(0).metrics.get("auc") - 0.02);
            assertThat(flipped.metrics.get("holdout_auc")).isLessThan(0.1);
            assertThat(flipped.metrics.get("holdout_ap")).isLessThan(0.5);
            assertThat(flipped.metrics.get("champion_holdout_auc")).isGreaterThan(0.95);
            assertThat(flipped.promotable).isFalse();

            assertThat(out.get(2).promotable).isTrue();
            assertThat(out.get(2).metrics.get("champion_holdout_auc"))
                    .as("judged against the last promoted model, not the refused one")
                    .isGreaterThan(0.95);
        }
    }

    @Test
    void theHoldoutKeepsTheMostRecentExamplesAcrossARestoreFoldedOrNot() throws Exception {
        java.util.Random random = new java.util.Random(5);
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
        try (var h =
                harness(
                        new Publisher(
                                new SpecIdentity("payments", 1, "fp"), 0.02, 1_000, 400, 100))) {
            h.open();
            // 200 old examples labelled backwards, then 300 right: a ring of 400 keeps 200 + 200
            // once the first 400 are folded in, with 100 still arriving at the checkpoint.
            for (int i = 0; i < 500; i++) {
                float x = 2 * random.nextFloat();
                boolean fraud = i < 200 ? x < 0.6f : x > 1.4f;
                h.processElement2(new Example("h" + i, new float[] {x, 1}, fraud, i), 0);
            }
            snapshot = h.snapshot(1, 1);
        }
        try (var h =
                harness(
                        new Publisher(
                                new SpecIdentity("payments", 1, "fp"), 0.02, 1_000, 400, 100))) {
            h.initializeState(snapshot);
            h.open();
            for (int i = 500; i < 600; i++) {
                float x = 2 * random.nextFloat();
                h.processElement2(new Example("h" + i, new float[] {x, 1}, x > 1.4f, i), 0);
            }
            h.processElement1(candidate(1, 0.90, 5f), 0);
            Release r = h.extractOutputValues().get(0);
            assertThat(r.metrics).containsEntry("holdout_size", 400.0);
            assertThat(r.metrics.get("holdout_auc"))
                    .as("the 400 newest, the backward ones gone")
                    .isGreaterThan(0.95);
        }
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, ReleaseCandidate, Example, Release>
            harness() throws Exception {
        return harness(new Publisher(new SpecIdentity("payments", 1, "fp"), 0.02, 1_000));
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, ReleaseCandidate, Example, Release>
            harness(Publisher publisher) throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(
                new KeyedCoProcessOperator<>(publisher),
                (ReleaseCandidate c) -> "fraud",
                (Example e) -> "fraud",
                Types.STRING);
    }

    /** A model whose window metrics have (about) the given AUC. */
    private static ReleaseCandidate candidate(long version, double auc, float weight) {
        ReleaseCandidate c = new ReleaseCandidate();
        c.globalVersion = version;
        c.network =
                new Network(
                        ModelKind.LOGISTIC_REGRESSION,
                        new int[] {2, 1},
                        new float[] {weight, 0, 0});
        c.scaler = new FeatureScaler(2);
        c.scaler.add(new float[] {0, 1});
        c.scaler.add(new float[] {2, 3});
        c.window = new ProgressiveMetrics();
        // Positives at 0.9, negatives below it except a share above it.
        int above = (int) Math.round((1 - auc) * 1000);
        for (int i = 0; i < Publisher.WINDOW_MIN_POSITIVES; i++) {
            c.window.add(0.9f, true);
        }
        for (int i = 0; i < 1000; i++) {
            c.window.add(i < above ? 0.95f : 0.1f, false);
        }
        c.total = c.window.copy();
        c.examplesTrained = 1001;
        c.maxEventTimeMs = 1_000;
        return c;
    }
}
