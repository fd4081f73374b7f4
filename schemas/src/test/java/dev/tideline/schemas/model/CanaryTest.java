package dev.tideline.schemas.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CanaryTest {

    @Test
    void theBatchIsSeededStartsAtZeroAndReachesThousands() {
        float[] batch = Canary.batch(4);
        assertThat(batch).hasSize(Canary.ROWS * 4).isEqualTo(Canary.batch(4));
        for (int c = 0; c < 4; c++) {
            assertThat(batch[c]).isZero();
        }
        float largest = 0;
        for (float v : batch) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertThat(largest).isGreaterThan(1000);
    }

    @Test
    void rowsAroundTheDataStayWithinAFewSpreadsOfTheCentre() {
        float[] batch = Canary.around(new float[] {100, -5}, new float[] {1, 0.1f}, 32);
        for (int r = 1; r < 32; r++) {
            assertThat(batch[2 * r]).isBetween(85f, 115f);
            assertThat(batch[2 * r + 1]).isBetween(-6.5f, -3.5f);
        }
    }

    @Test
    void judgesScoresAsServingsGateDoes() {
        assertThat(Canary.problem(new float[] {0, 0.5f, 1}, 3)).isEmpty();
        assertThat(Canary.problem(new float[] {0.5f, Float.NaN}, 2))
                .hasValue("canary row 1 scored NaN, outside [0, 1]");
        assertThat(Canary.problem(new float[] {1.5f}, 1)).get().asString().contains("1.5");
        assertThat(Canary.problem(new float[] {0.5f}, 2))
                .hasValue("canary gave 1 scores for 2 rows");
    }
}
