package dev.tideline.training.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;
import dev.tideline.training.model.ScoreLog;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MiniBatchTest {

    static final int WIDTH = 5;

    /** Rows with feature j around {@code offset * j}, spread 1 + j. */
    static float[][] rows(int n, long seed, float offset) {
        return rows(n, seed, offset, WIDTH);
    }

    static float[][] rows(int n, long seed, float offset, int width) {
        Random random = new Random(seed);
        float[][] x = new float[n][width];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < width; j++) {
                x[i][j] = (float) (offset * j + random.nextGaussian() * (1 + j));
            }
        }
        return x;
    }

    @Test
    void theseTestsRunTheSimdKernel() {
        // The module's surefire configuration adds jdk.incubator.vector, as TaskManagers should.
        assertThat(MiniBatch.VECTOR_LANES).as(MiniBatch.kernel()).isTrue();
    }

    @Test
    void trainsLikeTheStandardisedForwardAndBackwardPassPerExample() {
        // Centred features (means within a few spreads of zero) take logistic regression's folded
        // path, on SIMD lanes or in scalar loops; features around 1e4 are standardised per
        // example, their moments shifted. Widths below, at and past whole vectors of lanes.
        for (boolean lanes : new boolean[] {false, true}) {
            for (int width : new int[] {WIDTH, 24, 29}) {
                for (float offset : new float[] {3, 10_000}) {
                    for (int n : new int[] {1, 7, 32}) {
                        assertTrainsLikePerExample(lanes, width, offset, n, 1);
                    }
                }
            }
        }
    }

    @Test
    void weightsAPositiveExamplesLossOnEveryPath() {
        // The folded path (centred features) and the per-example one, on lanes and in loops: each
        // positive's gradient is the weight times its unweighted one, and scores do not change.
        for (boolean lanes : new boolean[] {false, true}) {
            for (float offset : new float[] {3, 10_000}) {
                assertTrainsLikePerExample(lanes, 24, offset, 32, 7);
            }
        }
    }

    private static void assertTrainsLikePerExample(
            boolean lanes, int width, float offset, int n, float positiveWeight) {
        float[][] x = rows(n, n, offset, width);
        Network net = Network.logistic(width);
        float[] mean = new float[width];
        float[] inverseStd = new float[width];
        for (int j = 0; j < width; j++) {
            net.params[j] = 0.3f * (j % 5 - 2);
            mean[j] = offset * j + 0.5f;
            inverseStd[j] = 1f / (1 + j);
        }
        net.params[width] = -0.2f;
        float[] shift = offset > 100 ? x[0].clone() : null;

        MiniBatch batch = new MiniBatch(width, 32, 0, lanes, positiveWeight);
        float[] expectedGradient = new float[width + 1];
        float[] expectedScores = new float[n];
        float[] z = new float[width];
        FeatureScaler exact = new FeatureScaler(width);
        for (int e = 0; e < n; e++) {
            boolean fraud = e % 3 == 0;
            batch.add(x[e], fraud);
            Network.standardise(x[e], mean, inverseStd, z);
            float[] unweighted = new float[width + 1];
            expectedScores[e] = net.accumulateGradient(z, fraud ? 1 : 0, unweighted, null);
            for (int i = 0; i <= width; i++) {
                expectedGradient[i] += (fraud ? positiveWeight : 1) * unweighted[i];
            }
            exact.add(x[e]);
        }
        float[] gradient = new float[width + 1];
        double[] sum = new double[width];
        double[] squares = new double[width];
        batch.train(net, mean, inverseStd, shift, gradient, sum, squares);

        String example =
                (lanes ? "lanes" : "scalar")
                        + ", width "
                        + width
                        + ", offset "
                        + offset
                        + ", "
                        + n
                        + " rows, positive weight "
                        + positiveWeight;
        for (int e = 0; e < n; e++) {
            assertThat(batch.scores()[e])
                    .as("score %d, %s", e, example)
                    .isCloseTo(expectedScores[e], offset(1e-5f));
        }
        for (int i = 0; i <= width; i++) {
            assertThat(gradient[i])
                    .as("gradient %d, %s", i, example)
                    .isCloseTo(expectedGradient[i], offset(1e-5f * n * positiveWeight));
        }
        FeatureScaler moments = FeatureScaler.ofMoments(n, shift, sum, squares);
        double[] variance = moments.variance();
        for (int j = 0; j < width; j++) {
            assertThat(moments.mean[j])
                    .as("mean %d, %s", j, example)
                    .isCloseTo(exact.mean[j], offset(1e-4 * (1 + offset * j)));
            assertThat(variance[j])
                    .as("variance %d, %s", j, example)
                    .isCloseTo(exact.variance()[j], offset(1e-4 * (1 + j) * (1 + j)));
        }
    }

    @Test
    void anMlpTrainsExactlyAsPerExample() {
        int n = 9;
        float[][] x = rows(n, 3, 3);
        Network net = Network.mlp(WIDTH, 4, 7);
        float[] mean = new float[WIDTH];
        float[] inverseStd = new float[WIDTH];
        for (int j = 0; j < WIDTH; j++) {
            mean[j] = 3 * j;
            inverseStd[j] = 0.5f;
        }
        MiniBatch batch = new MiniBatch(WIDTH, 16, 4);
        float[] expected = new float[net.params.length];
        float[] z = new float[WIDTH];
        float[] hidden = new float[4];
        for (int e = 0; e < n; e++) {
            batch.add(x[e], e == 4);
            Network.standardise(x[e], mean, inverseStd, z);
            net.accumulateGradient(z, e == 4 ? 1 : 0, expected, hidden);
        }
        float[] gradient = new float[net.params.length];
        batch.train(net, mean, inverseStd, null, gradient, new double[WIDTH], new double[WIDTH]);

        assertThat(gradient).containsExactly(expected);
    }

    @Test
    void aScoreLogAddsUpToThePerExampleMetrics() {
        Random random = new Random(11);
        int n = 1000;
        float[] scores = new float[n];
        boolean[] fraud = new boolean[n];
        ProgressiveMetrics one = new ProgressiveMetrics();
        for (int i = 0; i < n; i++) {
            // Include certain and wrong predictions: their likelihood is clamped, not zero.
            scores[i] = i % 100 == 0 ? 0f : random.nextFloat();
            fraud[i] = random.nextInt(10) == 0 || i % 100 == 0;
            one.add(scores[i], fraud[i]);
        }
        ScoreLog log = new ScoreLog(16); // it grows
        log.addAll(scores, fraud, 600);
        System.arraycopy(scores, 600, scores, 0, 400);
        System.arraycopy(fraud, 600, fraud, 0, 400);
        log.addAll(scores, fraud, 400);
        ProgressiveMetrics all = log.trimmed().toMetrics();

        assertThat(log.trimmed().codes).hasSize(n);
        assertThat(all.count).isEqualTo(n);
        assertThat(all.positives).containsExactly(one.positives);
        assertThat(all.negatives).containsExactly(one.negatives);
        assertThat(all.logLoss()).isCloseTo(one.logLoss(), offset(1e-9)).isFinite();
    }
}
