package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tideline.schemas.model.Evaluation;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code bench quality}'s references, on data whose best model is known. */
class BatchReferencesTest {

    /** Rows of two standard normal features and a constant one; fraud drawn from a known model. */
    private static float[][] rows(int n, long seed) {
        Random r = new Random(seed);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = new float[] {(float) r.nextGaussian(), (float) r.nextGaussian(), 7};
        }
        return rows;
    }

    private static boolean[] linear(float[][] rows, long seed) {
        Random r = new Random(seed);
        boolean[] y = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) {
            double t = -4 + 2 * rows[i][0] - 1 * rows[i][1];
            y[i] = r.nextDouble() < 1 / (1 + Math.exp(-t));
        }
        return y;
    }

    @Test
    void logisticRegressionConvergesToTheModelTheLabelsWereDrawnFrom() {
        float[][] train = rows(200_000, 1);
        boolean[] y = linear(train, 2);
        BatchLogistic lr = BatchLogistic.fit(train, y, QualityBench.RIDGE);
        assertThat(lr.iterations()).isLessThan(30);

        // On fresh rows its probabilities are the generating model's, within sampling error.
        float[][] test = rows(10_000, 3);
        float[] p = lr.score(test);
        for (int i = 0; i < test.length; i++) {
            double truth = 1 / (1 + Math.exp(-(-4 + 2 * test[i][0] - test[i][1])));
            assertThat((double) p[i]).isCloseTo(truth, within(0.02 + 0.1 * truth));
        }
    }

    @Test
    void solvesASymmetricPositiveDefiniteSystem() {
        double[][] a = {{4, 1, 0}, {1, 3, 1}, {0, 1, 2}};
        double[] x = BatchLogistic.solve(a, new double[] {1, 2, 3});
        for (int i = 0; i < 3; i++) {
            double s = 0;
            for (int j = 0; j < 3; j++) {
                s += a[i][j] * x[j];
            }
            assertThat(s).isCloseTo(new double[] {1, 2, 3}[i], within(1e-12));
        }
    }

    @Test
    void gradientBoostedTreesLearnWhatALinearModelCannot() throws Exception {
        // Fraud inside a band of the first feature: no single linear threshold separates it.
        float[][] train = rows(50_000, 4);
        float[][] test = rows(20_000, 5);
        boolean[] yTrain = band(train);
        boolean[] yTest = band(test);
        GradientBoosted xgb = GradientBoosted.fit(train, yTrain);
        double xgbAuc;
        try {
            xgbAuc = Evaluation.auc(xgb.score(test), yTest);
        } finally {
            xgb.dispose();
        }
        double lrAuc =
                Evaluation.auc(
                        BatchLogistic.fit(train, yTrain, QualityBench.RIDGE).score(test), yTest);
        assertThat(xgbAuc).isGreaterThan(0.99);
        assertThat(lrAuc).isLessThan(0.7);
    }

    private static boolean[] band(float[][] rows) {
        boolean[] y = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) {
            y[i] = Math.abs(rows[i][0]) < 0.1;
        }
        return y;
    }
}
