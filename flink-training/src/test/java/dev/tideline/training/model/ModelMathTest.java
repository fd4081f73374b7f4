package dev.tideline.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelMathTest {

    @Test
    void scalerHalvesMergedEqualTheWhole() {
        Random random = new Random(1);
        FeatureScaler whole = new FeatureScaler(3);
        FeatureScaler a = new FeatureScaler(3);
        FeatureScaler b = new FeatureScaler(3);
        for (int i = 0; i < 1000; i++) {
            float[] x = {
                (float) random.nextGaussian(),
                (float) (5 + 3 * random.nextGaussian()),
                i % 7 == 0 ? 100f : 0f
            };
            whole.add(x);
            (i < 300 ? a : b).add(x);
        }
        FeatureScaler merged = new FeatureScaler(3);
        merged.merge(a);
        merged.merge(b);
        assertThat(merged.count).isEqualTo(1000);
        for (int i = 0; i < 3; i++) {
            assertThat(merged.mean[i]).isCloseTo(whole.mean[i], offset(1e-9));
            assertThat(merged.variance()[i]).isCloseTo(whole.variance()[i], offset(1e-6));
        }
        assertThat(whole.mean[1]).isCloseTo(5, offset(0.3));
        assertThat(whole.variance()[1]).isCloseTo(9, offset(1.0));
    }

    @Test
    void gradientsMatchFiniteDifferencesForBothKinds() {
        for (Network net : new Network[] {randomised(Network.logistic(5)), Network.mlp(5, 8, 3)}) {
            float[] z = {0.5f, -1.2f, 0.3f, 2.0f, -0.7f};
            float y = 1;
            float[] grad = new float[net.params.length];
            net.accumulateGradient(z, y, grad, new float[Math.max(1, net.hidden())]);
            for (int i = 0; i < net.params.length; i++) {
                float saved = net.params[i];
                double h = 1e-3;
                net.params[i] = (float) (saved + h);
                double up = loss(net.predict(z), y);
                net.params[i] = (float) (saved - h);
                double down = loss(net.predict(z), y);
                net.params[i] = saved;
                double numeric = (up - down) / (2 * h);
                assertThat((double) grad[i])
                        .as("%s parameter %d", net.kind, i)
                        .isCloseTo(numeric, offset(2e-3));
            }
        }
    }

    @Test
    void binnedAucAgreesWithTheExactOneAndMergesExactly() {
        Random random = new Random(5);
        int n = 3000;
        float[] scores = new float[n];
        boolean[] labels = new boolean[n];
        ProgressiveMetrics all = new ProgressiveMetrics();
        ProgressiveMetrics a = new ProgressiveMetrics();
        ProgressiveMetrics b = new ProgressiveMetrics();
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextDouble() < 0.1;
            scores[i] =
                    (float) (1 / (1 + Math.exp(-(random.nextGaussian() + (labels[i] ? 1.5 : 0)))));
            all.add(scores[i], labels[i]);
            (i % 2 == 0 ? a : b).add(scores[i], labels[i]);
        }
        double exact = 0;
        long pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (labels[i] && !labels[j]) {
                    exact += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        exact /= pairs;
        assertThat(all.auc()).isCloseTo(exact, offset(1e-3));
        a.merge(b);
        assertThat(a.auc()).isEqualTo(all.auc());
        assertThat(a.logLoss()).isCloseTo(all.logLoss(), offset(1e-12));
        assertThat(new ProgressiveMetrics().auc()).isNaN();
    }

    @Test
    void logisticRegressionLearnsASeparablePattern() {
        Random random = new Random(9);
        Network net = Network.logistic(4);
        Optimizer sgd = new Optimizer(Optimizer.Kind.ADAM, 0.05f, 0, net.params.length);
        float[] grad = new float[net.params.length];
        ProgressiveMetrics metrics = new ProgressiveMetrics();
        float[] z = new float[4];
        int inBatch = 0;
        for (int i = 0; i < 20_000; i++) {
            boolean fraud = random.nextDouble() < 0.05;
            for (int j = 0; j < 4; j++) {
                z[j] = (float) random.nextGaussian();
            }
            if (fraud) {
                z[0] += 2.5f;
                z[2] -= 1.5f;
            }
            float p = net.accumulateGradient(z, fraud ? 1 : 0, grad, null);
            if (i >= 10_000) {
                metrics.add(p, fraud);
            }
            if (++inBatch == 32) {
                sgd.step(net.params, grad, inBatch);
                inBatch = 0;
            }
        }
        assertThat(metrics.auc()).isGreaterThan(0.95);
        assertThat(net.params[0]).isPositive();
        assertThat(net.params[2]).isNegative();
    }

    @Test
    void adagradStepsShrinkWithTheSquaredGradientsSoFar() {
        Optimizer adagrad = new Optimizer(Optimizer.Kind.ADAGRAD, 0.1f, 0, 2);
        float[] params = new float[2];
        for (int k = 1; k <= 4; k++) {
            float before = params[0];
            adagrad.step(params, new float[] {2f, 0f}, 1);
            // The k-th equal gradient g moves the parameter by rate * g / sqrt(k * g^2).
            assertThat(before - params[0]).isCloseTo((float) (0.1 / Math.sqrt(k)), offset(1e-5f));
        }
        assertThat(params[1]).as("a parameter without gradient stays").isZero();
    }

    @Test
    void adagradSettlesOnAStationaryStreamWhereAdamKeepsMoving() {
        float adagrad = driftOfTheLastTenThousand(Optimizer.Kind.ADAGRAD, 0.1f);
        float adam = driftOfTheLastTenThousand(Optimizer.Kind.ADAM, 0.01f);
        assertThat(adagrad).isLessThan(adam / 2);
    }

    /**
     * Trains logistic regression on 100,000 examples of one noisy pattern (5% positives) and
     * returns how far its parameters move over the last 10,000.
     */
    private static float driftOfTheLastTenThousand(Optimizer.Kind kind, float rate) {
        Random random = new Random(5);
        Network net = Network.logistic(4);
        Optimizer optimizer = new Optimizer(kind, rate, 0, net.params.length);
        float[] grad = new float[net.params.length];
        float[] z = new float[4];
        float[] atNinety = null;
        int inBatch = 0;
        for (int i = 0; i < 100_000; i++) {
            boolean fraud = random.nextDouble() < 0.05;
            for (int j = 0; j < 4; j++) {
                z[j] = (float) random.nextGaussian();
            }
            if (fraud) {
                z[0] += 1f;
            }
            net.accumulateGradient(z, fraud ? 1 : 0, grad, null);
            if (++inBatch == 32) {
                optimizer.step(net.params, grad, inBatch);
                inBatch = 0;
            }
            if (i == 90_000) {
                atNinety = net.params.clone();
            }
        }
        double moved = 0;
        for (int j = 0; j < net.params.length; j++) {
            moved += (net.params[j] - atNinety[j]) * (net.params[j] - atNinety[j]);
        }
        return (float) Math.sqrt(moved);
    }

    private static Network randomised(Network net) {
        Random random = new Random(2);
        for (int i = 0; i < net.params.length; i++) {
            net.params[i] = (float) random.nextGaussian() * 0.5f;
        }
        return net;
    }

    private static double loss(float p, float y) {
        return -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    }
}
