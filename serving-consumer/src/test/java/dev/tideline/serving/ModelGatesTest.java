package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.testkit.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The promotion gates against real ONNX Runtime sessions. */
class ModelGatesTest {

    private static final float[] WEIGHTS = {0.5f, -0.25f, 1f, 0f};
    private final ModelGates gates =
            new ModelGates(
                    TestModels.FINGERPRINT, 4, new ScoringOptions(ScoringDevice.CPU, 1, false));

    @Test
    void acceptsASoundReleaseThatScoresLikeTheMath() throws Exception {
        ModelGates.Verdict verdict =
                gates.check(TestModels.release(1, TestModels.logistic(WEIGHTS, 0.1f), 4));

        assertThat(verdict).isInstanceOf(ModelGates.Accepted.class);
        try (OnnxScorer scorer = ((ModelGates.Accepted) verdict).scorer()) {
            FloatBuffer batch =
                    ByteBuffer.allocateDirect(4 * 8).order(ByteOrder.nativeOrder()).asFloatBuffer();
            batch.put(new float[] {1, 2, 3, 4, -1, 0, 0, 9});
            float[] scores = scorer.score(batch, 2);
            assertThat((double) scores[0]).isCloseTo(sigmoid(0.5 - 0.5 + 3 + 0.1), within(1e-5));
            assertThat((double) scores[1]).isCloseTo(sigmoid(-0.5 + 0.1), within(1e-5));
            assertThat(scorer.device()).isEqualTo(ScoringDevice.CPU);
        }
    }

    @Test
    void refusesAReleaseFlaggedNotForPromotion() {
        ModelRelease release = TestModels.release(2, TestModels.logistic(WEIGHTS, 0), 4);
        release.setPromotable(false);
        assertRefused(release, Gate.NOT_PROMOTABLE, "not for promotion");
    }

    @Test
    void refusesBytesThatDoNotMatchTheDigest() {
        ModelRelease release = TestModels.release(3, TestModels.logistic(WEIGHTS, 0), 4);
        release.setSha256("0".repeat(64));
        assertRefused(release, Gate.DIGEST, "the release says 000");
    }

    @Test
    void refusesAModelTrainedOnAnotherSpec() {
        ModelRelease release = TestModels.release(4, TestModels.logistic(WEIGHTS, 0), 4);
        release.setSpecFingerprint("a".repeat(64));
        assertRefused(release, Gate.SPEC_FINGERPRINT, "vectors are fff");
    }

    @Test
    void refusesADeclaredWidthOtherThanTheSpecs() {
        assertRefused(
                TestModels.release(5, TestModels.logistic(new float[] {1, 2, 3}, 0), 3),
                Gate.INPUT_WIDTH,
                "takes 3 features, the spec has 4");
    }

    @Test
    void refusesAGraphWhoseInputIsNotTheSpecsWidth() {
        // The release claims 4 inputs; the graph takes 3.
        assertRefused(
                TestModels.release(6, TestModels.logistic(new float[] {1, 2, 3}, 0), 4),
                Gate.LOAD,
                "has 3 columns, the spec has 4");
    }

    @Test
    void refusesBytesOnnxRuntimeCannotLoad() {
        assertRefused(
                TestModels.release(7, new byte[] {1, 2, 3, 4}, 4),
                Gate.LOAD,
                "ONNX Runtime cannot load it");
    }

    @Test
    void refusesAModelThatScoresNaN() {
        assertRefused(
                TestModels.release(8, TestModels.logistic(new float[] {Float.NaN, 0, 0, 0}, 0), 4),
                Gate.CANARY,
                "NaN");
    }

    @Test
    void refusesScoresOutsideTheUnitInterval() {
        assertRefused(
                TestModels.release(9, TestModels.linear(WEIGHTS, 0), 4),
                Gate.CANARY,
                "outside [0, 1]");
    }

    @Test
    void aCudaRequestWithoutAGpuFallsBackToTheCpuAndSaysSo() throws Exception {
        Assumptions.assumeTrue(
                ScoringDevice.cudaUnavailable().isPresent(), "CUDA is available on this machine");
        ModelGates cuda =
                new ModelGates(
                        TestModels.FINGERPRINT,
                        4,
                        new ScoringOptions(ScoringDevice.CUDA, 1, false));

        ModelGates.Verdict verdict =
                cuda.check(TestModels.release(10, TestModels.logistic(WEIGHTS, 0), 4));

        assertThat(verdict).isInstanceOf(ModelGates.Accepted.class);
        try (OnnxScorer scorer = ((ModelGates.Accepted) verdict).scorer()) {
            assertThat(scorer.device()).isEqualTo(ScoringDevice.CPU);
        }
    }

    @Test
    void aRetiredScorerClosesOnceItsLastBatchIsDone() throws Exception {
        OnnxScorer scorer =
                ((ModelGates.Accepted)
                                gates.check(
                                        TestModels.release(11, TestModels.logistic(WEIGHTS, 0), 4)))
                        .scorer();

        assertThat(scorer.acquire()).isTrue();
        scorer.retire();
        assertThat(scorer.isClosed()).as("a batch still holds it").isFalse();
        FloatBuffer batch =
                ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asFloatBuffer();
        assertThat(scorer.score(batch, 1)).hasSize(1);
        scorer.release();
        assertThat(scorer.isClosed()).isTrue();
        assertThat(scorer.acquire()).as("a closed scorer takes no new batch").isFalse();
        scorer.retire(); // idempotent
        assertThat(scorer.isClosed()).isTrue();
    }

    private void assertRefused(ModelRelease release, Gate gate, String reason) {
        ModelGates.Verdict verdict = gates.check(release);
        assertThat(verdict).isInstanceOf(ModelGates.Refused.class);
        ModelGates.Refused refused = (ModelGates.Refused) verdict;
        assertThat(refused.gate()).isEqualTo(gate);
        assertThat(refused.reason()).contains("fraud v" + release.getVersion()).contains(reason);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
