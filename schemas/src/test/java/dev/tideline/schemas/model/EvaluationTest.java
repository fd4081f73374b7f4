package dev.tideline.schemas.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void aucIsTheShareOfPositiveNegativePairsRankedRightWithTiesCountingHalf() {
        float[] scores = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f};
        boolean[] positive = {false, false, true, true, true};
        // pairs (pos, neg): (0.35,0.1)=1 (0.35,0.4)=0 (0.8,*)=2 (0.4,0.1)=1 (0.4,0.4)=0.5 → 4.5/6
        assertThat(Evaluation.auc(scores, positive)).isCloseTo(4.5 / 6, within(1e-12));
        assertThat(Evaluation.auc(scores, new boolean[5])).isNaN();
    }

    @Test
    void aucOverTheMarkedExamplesLeavesTheOthersOut() {
        float[] scores = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f};
        boolean[] positive = {false, false, true, true, true};
        // Without the positive at 0.35: (0.8,*)=2 (0.4,0.1)=1 (0.4,0.4)=0.5 → 3.5/4
        boolean[] keep = {true, true, false, true, true};
        assertThat(Evaluation.auc(scores, positive, keep)).isCloseTo(3.5 / 4, within(1e-12));
        assertThat(
                        Evaluation.auc(
                                scores, positive, new boolean[] {true, true, false, false, false}))
                .as("no positive marked")
                .isNaN();
    }

    @Test
    void averagePrecisionIsTheMeanPrecisionAtEachPositive() {
        float[] scores = {0.9f, 0.8f, 0.7f, 0.6f};
        boolean[] positive = {true, false, true, false};
        // precision at the 1st positive 1/1, at the 2nd 2/3
        assertThat(Evaluation.averagePrecision(scores, positive))
                .isCloseTo((1 + 2.0 / 3) / 2, within(1e-12));
        assertThat(Evaluation.averagePrecision(scores, new boolean[4])).isNaN();
    }
}
