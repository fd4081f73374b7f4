package dev.tideline.training.publish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.learn.ReleaseCandidate;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class PublisherTest {

    @Test
    void numbersValidatedReleasesConsecutivelyAndFlagsWorseOnesAsCandidates() throws Exception {
        try (var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new Publisher(new SpecIdentity("payments", 1, "fp"), 0.02, 1_000)),
                        (ReleaseCandidate c) -> "fraud",
                        Types.STRING)) {
            h.open();
            h.processElement(candidate(1, 0.90, 0.1f), 0);
            h.processElement(candidate(2, 0.89, Float.NaN), 0); // fails validation
            h.processElement(candidate(3, 0.89, 0.2f), 0); // within the margin
            h.processElement(candidate(4, 0.80, 0.3f), 0); // worse by more than 0.02
            h.processElement(candidate(5, 0.885, 0.4f), 0); // compared with 0.89, not 0.80
            ReleaseCandidate small = candidate(6, 0.9, 0.5f); // cumulative AUC 0.9
            small.window = new ProgressiveMetrics();
            small.window.add(0.9f, false);
            small.window.add(0.1f, true); // AUC 0 on two examples: too few to judge
            h.processElement(small, 0);

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
            h.processElement(candidate(1, 0.40, 0.1f), 0); // worse than a constant
            ReleaseCandidate few = candidate(2, 0.95, 0.2f);
            few.total = new ProgressiveMetrics();
            few.total.add(0.9f, true);
            few.total.add(0.1f, false); // two examples so far: too few to promote
            few.window = few.total.copy();
            h.processElement(few, 0);
            h.processElement(candidate(3, 0.85, 0.3f), 0);
            assertThat(h.extractOutputValues())
                    .extracting(r -> r.promotable)
                    .containsExactly(false, false, true);
        }
    }

    @Test
    void aReleasesAucIsNeverNaNAndSaysWhatItWasJudgedOn() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(candidate(1, 0.9, 0.1f), 0);
            ReleaseCandidate oneClass = candidate(2, 0.9, 0.2f);
            oneClass.window = new ProgressiveMetrics();
            for (int i = 0; i < 2_000; i++) {
                oneClass.window.add(0.1f, false); // no positive since the last release
            }
            h.processElement(oneClass, 0);
            ReleaseCandidate none = candidate(3, 0.9, 0.3f);
            none.window = oneClass.window.copy();
            none.total = oneClass.window.copy(); // no positive at all
            h.processElement(none, 0);

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

    private static KeyedOneInputStreamOperatorTestHarness<String, ReleaseCandidate, Release>
            harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(
                        new Publisher(new SpecIdentity("payments", 1, "fp"), 0.02, 1_000)),
                (ReleaseCandidate c) -> "fraud",
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
        // 1000 pairs: positives at 0.9, negatives below it except a share above it.
        int above = (int) Math.round((1 - auc) * 1000);
        c.window.add(0.9f, true);
        for (int i = 0; i < 1000; i++) {
            c.window.add(i < above ? 0.95f : 0.1f, false);
        }
        c.total = c.window.copy();
        c.examplesTrained = 1001;
        c.maxEventTimeMs = 1_000;
        return c;
    }
}
