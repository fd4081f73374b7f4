package dev.tideline.training.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.Optimizer;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Positives weighted in training, on rare fraud drawn from a known logistic model: the released
 * network's scores are probabilities again once the weight's logarithm is off the output bias.
 */
class PositiveWeightTest {

    private static final int N = 60_000;

    @Test
    void aStepFollowsTheWeightedMeanSoAMiniBatchOfPositivesWeighsNoMoreThanOneOfNegatives() {
        // From the initial model every score is 0.5: a positive's loss gradient on the bias is
        // -0.5 times its weight, a negative's 0.5. The weighted mean of 32 positives is -0.5.
        float positives = biasAfterOneBatch(true);
        float negatives = biasAfterOneBatch(false);
        assertThat(positives).isPositive();
        assertThat(negatives).isNegative();
        assertThat(positives).isCloseTo(-negatives, offset(1e-6f));
    }

    /** The output bias after one SGD step on 32 examples of one class, positives weighted 10. */
    private static float biasAfterOneBatch(boolean fraud) {
        TrainingSettings sgd = settings(Optimizer.Kind.SGD, 0.1f, 10f);
        LocalModel model = LocalModel.fresh(sgd);
        Random r = new Random(3);
        for (int i = 0; i < 32; i++) {
            model.train(new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()}, fraud, i);
        }
        float[] params = model.state().network.params;
        return params[params.length - 1];
    }

    private static TrainingSettings settings(float positiveWeight) {
        return settings(Optimizer.Kind.ADAM, 0.01f, positiveWeight);
    }

    private static TrainingSettings settings(
            Optimizer.Kind optimizer, float learningRate, float positiveWeight) {
        return new TrainingSettings(
                "fraud",
                ModelKind.LOGISTIC_REGRESSION,
                2,
                0,
                1,
                optimizer,
                learningRate,
                0,
                32,
                512,
                Duration.ofSeconds(5),
                1,
                Duration.ofSeconds(2),
                2,
                1_000,
                Duration.ofHours(1),
                1.0,
                positiveWeight);
    }

    /** The mean score of the trained, released model over the rows, and the share of fraud. */
    private static double[] meanScoreAndRate(float positiveWeight, boolean calibrate) {
        Random r = new Random(7);
        float[][] rows = new float[N][];
        boolean[] fraud = new boolean[N];
        int positives = 0;
        for (int i = 0; i < N; i++) {
            rows[i] = new float[] {(float) r.nextGaussian(), (float) r.nextGaussian()};
            double p = 1 / (1 + Math.exp(-(-4.5 + 1.5 * rows[i][0])));
            fraud[i] = r.nextDouble() < p;
            positives += fraud[i] ? 1 : 0;
        }
        LocalModel model = LocalModel.fresh(settings(positiveWeight));
        for (int pass = 0; pass < 3; pass++) {
            for (int i = 0; i < N; i++) {
                model.train(rows[i], fraud[i], i);
                if (model.updateDue()) {
                    model.takeUpdate(0);
                }
            }
        }
        model.takeUpdate(0);
        LearnerState s = model.state();
        Network released =
                calibrate ? Aggregator.calibrated(s.network, positiveWeight) : s.network.copy();
        FeatureScaler scaler = s.scaler;
        float[] mean = scaler.meanAsFloats();
        float[] inverseStd = scaler.inverseStd();
        float[] z = new float[2];
        double sum = 0;
        for (float[] x : rows) {
            Network.standardise(x, mean, inverseStd, z);
            sum += released.predict(z);
        }
        return new double[] {sum / N, (double) positives / N};
    }

    @Test
    void aWeightedModelsReleasedScoresStayCalibrated() {
        double[] weighted = meanScoreAndRate(10, true);
        double rate = weighted[1];
        assertThat(rate).isBetween(0.01, 0.05);
        assertThat(weighted[0])
                .as("mean score, fraud rate %s", rate)
                .isCloseTo(rate, offset(0.3 * rate));

        double[] uncorrected = meanScoreAndRate(10, false);
        assertThat(uncorrected[0])
                .as("without the correction the scores run several times too high")
                .isGreaterThan(3 * rate);
    }

    @Test
    void aWeightOfOneLeavesTheReleasedNetworkAsTrained() {
        Network n = Network.logistic(3);
        n.params[3] = 0.25f;
        assertThat(Aggregator.calibrated(n, 1).params).containsExactly(n.params);
        assertThat(Aggregator.calibrated(n, 4).params[3])
                .isCloseTo(0.25f - (float) Math.log(4), offset(1e-6f));
        assertThat(n.params[3]).as("the global network is not changed").isEqualTo(0.25f);
    }
}
