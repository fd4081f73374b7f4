package dev.tideline.training.model;

import dev.tideline.schemas.avro.ModelKind;
import java.util.Arrays;
import java.util.Random;

/**
 * The model trained: logistic regression ({@code [width, 1]}) or a one-hidden-layer MLP ({@code
 * [width, hidden, 1]}, ReLU then sigmoid) over standardised features. Parameters are flattened
 * layer by layer, each layer's weights row-major ({@code [in, out]}, as ONNX Gemm takes them) then
 * its bias, the layout of {@code GlobalModel.parameters}.
 *
 * <p>Arithmetic is in {@code float}, like ONNX Runtime's, so the exported graph reproduces {@link
 * #predict} to within float rounding. A Flink POJO.
 */
public final class Network {

    public ModelKind kind;
    public int[] layers;
    public float[] params;

    public Network() {}

    public Network(ModelKind kind, int[] layers, float[] params) {
        this.kind = kind;
        this.layers = layers;
        this.params = params;
        if (params.length != parameterCount(layers)) {
            throw new IllegalArgumentException(
                    Arrays.toString(layers)
                            + " takes "
                            + parameterCount(layers)
                            + " parameters, not "
                            + params.length);
        }
    }

    /** Logistic regression with zero weights: every score 0.5 until it learns. */
    public static Network logistic(int width) {
        int[] layers = {width, 1};
        return new Network(
                ModelKind.LOGISTIC_REGRESSION, layers, new float[parameterCount(layers)]);
    }

    /** An MLP with He-initialised hidden weights (seeded, so every learner starts alike). */
    public static Network mlp(int width, int hidden, long seed) {
        int[] layers = {width, hidden, 1};
        float[] p = new float[parameterCount(layers)];
        Random random = new Random(seed);
        double scale1 = Math.sqrt(2.0 / width);
        for (int i = 0; i < width * hidden; i++) {
            p[i] = (float) (random.nextGaussian() * scale1);
        }
        int w2 = width * hidden + hidden;
        double scale2 = Math.sqrt(1.0 / hidden);
        for (int j = 0; j < hidden; j++) {
            p[w2 + j] = (float) (random.nextGaussian() * scale2);
        }
        return new Network(ModelKind.MLP, layers, p);
    }

    public static int parameterCount(int[] layers) {
        int n = 0;
        for (int l = 0; l + 1 < layers.length; l++) {
            n += layers[l] * layers[l + 1] + layers[l + 1];
        }
        return n;
    }

    public int width() {
        return layers[0];
    }

    public int hidden() {
        return layers.length == 3 ? layers[1] : 0;
    }

    public Network copy() {
        return new Network(kind, layers.clone(), params.clone());
    }

    /** The fraud probability of one standardised example. */
    public float predict(float[] z) {
        return sigmoid(logit(z, params, null));
    }

    /**
     * Adds the log-loss gradient of one standardised example with label {@code y} (0 or 1) to
     * {@code grad}; returns the prediction made before.
     *
     * @param hidden scratch of {@link #hidden()} floats (unused for logistic regression)
     */
    public float accumulateGradient(float[] z, float y, float[] grad, float[] hidden) {
        return accumulateGradient(z, y, 1, grad, hidden);
    }

    /** As {@link #accumulateGradient(float[], float, float[], float[])}, its loss weighted. */
    public float accumulateGradient(
            float[] z, float y, float weight, float[] grad, float[] hidden) {
        float p = sigmoid(logit(z, params, hidden));
        float d = (p - y) * weight;
        int w = layers[0];
        if (layers.length == 2) {
            for (int i = 0; i < w; i++) {
                grad[i] += d * z[i];
            }
            grad[w] += d;
            return p;
        }
        int h = layers[1];
        int w2 = w * h + h;
        for (int j = 0; j < h; j++) {
            grad[w2 + j] += d * hidden[j];
        }
        grad[w2 + h] += d;
        for (int j = 0; j < h; j++) {
            if (hidden[j] <= 0) {
                continue;
            }
            float dh = d * params[w2 + j];
            for (int i = 0; i < w; i++) {
                grad[i * h + j] += dh * z[i];
            }
            grad[w * h + j] += dh;
        }
        return p;
    }

    private float logit(float[] z, float[] p, float[] hiddenOut) {
        int w = layers[0];
        if (layers.length == 2) {
            float s = p[w];
            for (int i = 0; i < w; i++) {
                s += z[i] * p[i];
            }
            return s;
        }
        int h = layers[1];
        float[] hidden = hiddenOut != null ? hiddenOut : new float[h];
        for (int j = 0; j < h; j++) {
            hidden[j] = 0;
        }
        for (int i = 0; i < w; i++) {
            float zi = z[i];
            int row = i * h;
            for (int j = 0; j < h; j++) {
                hidden[j] += zi * p[row + j];
            }
        }
        int w2 = w * h + h;
        float s = p[w2 + h];
        for (int j = 0; j < h; j++) {
            float a = hidden[j] + p[w * h + j];
            a = a > 0 ? a : 0;
            hidden[j] = a;
            s += a * p[w2 + j];
        }
        return s;
    }

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** {@code (x - mean) * inverseStd}, in float, as the exported graph computes it. */
    public static void standardise(float[] x, float[] mean, float[] inverseStd, float[] out) {
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean[i]) * inverseStd[i];
        }
    }
}
