package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.testkit.TestModels;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class VectorBatchTest {

    @Test
    void laysRowsOutInOrderAndScoresOnlyTheRowsFilledLast() throws Exception {
        VectorBatch batch = new VectorBatch(3, 4);
        try (OnnxScorer scorer =
                OnnxScorer.load(
                        "first-value",
                        TestModels.logistic(new float[] {1, 0, 0, 0}, 0),
                        4,
                        new ScoringOptions(ScoringDevice.CPU, 1, false))) {
            batch.fill(
                    List.of(
                            vector("a", 2, 9, 9, 9),
                            vector("b", -2, 9, 9, 9),
                            vector("c", 0, 0, 0, 0)));
            float[] three = batch.score(scorer);
            assertThat(three).hasSize(3);
            assertThat(three[0]).isCloseTo(sigmoid(2), org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(three[1]).isCloseTo(sigmoid(-2), org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(three[2]).isEqualTo(0.5f);

            float[] one = batch.fill(List.of(vector("d", 1, 0, 0, 0))).score(scorer);
            assertThat(one).containsExactly(sigmoid(1));
        }
    }

    @Test
    void refusesVectorsOfAnotherWidthOrMoreRowsThanItHolds() {
        VectorBatch batch = new VectorBatch(1, 4);
        assertThatThrownBy(() -> batch.fill(List.of(vector("short", 1, 2))))
                .hasMessageContaining("short has 2 values, not 4");
        assertThatThrownBy(
                        () -> batch.fill(List.of(vector("a", 1, 2, 3, 4), vector("b", 1, 2, 3, 4))))
                .hasMessageContaining("2 vectors for a batch of 1");
        assertThat(VectorBatch.firstInvalid(new float[] {0, 1, 0.5f})).isEqualTo(-1);
        assertThat(VectorBatch.firstInvalid(new float[] {0, Float.NaN})).isEqualTo(1);
        assertThat(VectorBatch.firstInvalid(new float[] {1.5f})).isZero();
    }

    private static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    private static FeatureVector vector(String txn, float... values) {
        List<Float> list = new java.util.ArrayList<>();
        for (float v : values) {
            list.add(v);
        }
        return FeatureVector.newBuilder()
                .setTxnId(txn)
                .setEntityId("e")
                .setEventTime(Instant.EPOCH)
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint(TestModels.FINGERPRINT)
                .setValues(list)
                .setMerchantId("m")
                .setAmountMinor(1)
                .setCurrency("EUR")
                .setComputedAt(Instant.EPOCH)
                .build();
    }
}
