package dev.tideline.training.learn;

import dev.tideline.training.model.Network;

/**
 * The examples of the current mini-batch that have not been trained on yet, and the arithmetic that
 * trains on them together. Parameters change only between mini-batches, so scoring the buffered
 * examples when the batch is trained gives each the score it would have had on arrival:
 * test-then-train holds.
 *
 * <p>Rows are kept by reference (copying them costs about as much as the logistic model's
 * arithmetic); the caller must not change an array it has added until {@link #train} has run. Not
 * checkpointed: {@link LocalModel} trains what is buffered before its state is read.
 *
 * <p>Moments are summed in float within a batch and in double across batches, about a reference
 * point ({@code shift}) when a feature's mean is far from zero relative to its spread. When none
 * is, logistic regression takes a shorter path: the standardisation is folded into the weights
 * ({@code θ·z + b = x·(θ∘s) + b − Σ θ_j s_j μ_j} with {@code z = (x − μ)∘s}) and the gradient is
 * mapped back to the standardised parameters once per batch.
 */
final class MiniBatch {

    /**
     * Whether logistic regression's kernel runs on SIMD lanes ({@link VectorKernel}): the JVM was
     * started with {@code --add-modules jdk.incubator.vector}, the hardware has at least four float
     * lanes, and the system property {@code tideline.training.vector} is not {@code false}.
     */
    static final boolean VECTOR_LANES = vectorLanes();

    private static boolean vectorLanes() {
        return Boolean.parseBoolean(System.getProperty("tideline.training.vector", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && VectorKernel.SPECIES.length() >= 4;
    }

    /** How logistic regression's kernel runs in this JVM, for the learner's log. */
    static String kernel() {
        return VECTOR_LANES
                ? VectorKernel.SPECIES.length() + " float lanes (jdk.incubator.vector)"
                : "scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD lanes)";
    }

    private final boolean vector;
    private final int width;
    private final float positiveWeight;
    private final float[][] rows;
    private final boolean[] labels;
    private final float[] scores;
    private final float[] residuals;
    private int size;

    private final float[] folded;
    private final float[] rawGradient;
    private final float[] sum;
    private final float[] squares;
    private final float[] z;
    private final float[] hidden;

    MiniBatch(int width, int capacity, int hidden) {
        this(width, capacity, hidden, VECTOR_LANES, 1);
    }

    MiniBatch(int width, int capacity, int hidden, boolean vector) {
        this(width, capacity, hidden, vector, 1);
    }

    /**
     * With {@code vector}, logistic regression's kernel runs on SIMD lanes, which needs the Vector
     * API module in this JVM; without it, in the scalar loops. A positive example's loss counts
     * {@code positiveWeight} times a negative's.
     */
    MiniBatch(int width, int capacity, int hidden, boolean vector, float positiveWeight) {
        this.vector = vector;
        this.width = width;
        this.positiveWeight = positiveWeight;
        this.rows = new float[capacity][];
        this.labels = new boolean[capacity];
        this.scores = new float[capacity];
        this.residuals = new float[capacity];
        this.folded = new float[width];
        this.rawGradient = new float[width];
        this.sum = new float[width];
        this.squares = new float[width];
        this.z = new float[width];
        this.hidden = new float[Math.max(1, hidden)];
    }

    int size() {
        return size;
    }

    void add(float[] values, boolean fraud) {
        rows[size] = values;
        labels[size] = fraud;
        size++;
    }

    /** The scores of the examples just trained on, before they were trained on. */
    float[] scores() {
        return scores;
    }

    /** The examples' loss weights summed: positives count {@code positiveWeight}, negatives 1. */
    float weight() {
        float w = 0;
        for (int e = 0; e < size; e++) {
            w += labels[e] ? positiveWeight : 1;
        }
        return w;
    }

    boolean[] labels() {
        return labels;
    }

    /**
     * Starts the next batch. The rows trained on stay referenced until overwritten (clearing them
     * costs a GC write barrier per row); their scores and labels stay readable until the next add.
     */
    void clear() {
        size = 0;
    }

    /**
     * Scores the buffered examples with {@code network} over inputs standardised by {@code mean}
     * and {@code inverseStd}, adds their log-loss gradient to {@code gradient} and their moments
     * about {@code shift} (null: zero) to {@code momentSum} and {@code momentSquares}.
     */
    void train(
            Network network,
            float[] mean,
            float[] inverseStd,
            float[] shift,
            float[] gradient,
            double[] momentSum,
            double[] momentSquares) {
        if (shift == null && network.hidden() == 0) {
            trainCentredLogistic(network.params, mean, inverseStd, gradient);
        } else {
            for (int e = 0; e < size; e++) {
                float[] x = rows[e];
                Network.standardise(x, mean, inverseStd, z);
                scores[e] =
                        network.accumulateGradient(
                                z,
                                labels[e] ? 1 : 0,
                                labels[e] ? positiveWeight : 1,
                                gradient,
                                hidden);
                for (int j = 0; j < width; j++) {
                    float v = x[j] - (shift == null ? 0 : shift[j]);
                    sum[j] += v;
                    squares[j] += v * v;
                }
            }
        }
        for (int j = 0; j < width; j++) {
            momentSum[j] += sum[j];
            momentSquares[j] += squares[j];
            sum[j] = 0;
            squares[j] = 0;
        }
    }

    /**
     * Logistic regression when every feature's mean is near zero relative to its spread, so that
     * folding the standardisation into the weights loses no precision worth having. The scores,
     * then the gradient and moments, on SIMD lanes or in the scalar loops.
     */
    private void trainCentredLogistic(
            float[] params, float[] mean, float[] inverseStd, float[] gradient) {
        int w = width;
        float bias = params[w];
        for (int j = 0; j < w; j++) {
            float a = params[j] * inverseStd[j];
            folded[j] = a;
            bias -= a * mean[j];
        }
        if (vector) {
            VectorKernel.scores(rows, size, folded, bias, w, scores);
        } else {
            scalarScores(bias);
        }
        float dSum = 0;
        for (int e = 0; e < size; e++) {
            float p = Network.sigmoid(scores[e]);
            scores[e] = p;
            float d = labels[e] ? (p - 1) * positiveWeight : p;
            residuals[e] = d;
            dSum += d;
        }
        float[] g = rawGradient;
        if (vector) {
            VectorKernel.gradientAndMoments(rows, size, residuals, w, g, sum, squares);
        } else {
            scalarGradientAndMoments();
        }
        // Back to the standardised parameters: Σ d·z_j = s_j·(Σ d·x_j − μ_j·Σ d).
        for (int j = 0; j < w; j++) {
            gradient[j] += inverseStd[j] * (g[j] - mean[j] * dSum);
            g[j] = 0;
        }
        gradient[w] += dSum;
    }

    /** The folded scores four examples at a time (four independent sums). */
    private void scalarScores(float bias) {
        int w = width;
        int f = 0;
        for (; f + 4 <= size; f += 4) {
            scores[f] = bias;
            scores[f + 1] = bias;
            scores[f + 2] = bias;
            scores[f + 3] = bias;
            addFourDots(rows, f, folded, 0, w, scores);
        }
        for (; f < size; f++) {
            float[] x = rows[f];
            float s = bias;
            for (int j = 0; j < w; j++) {
                s += folded[j] * x[j];
            }
            scores[f] = s;
        }
    }

    /**
     * Adds {@code Σ weights[j]·rows[e + k][j]} over {@code from ≤ j < to} to {@code scores[e + k]},
     * for k = 0..3: four independent sums, each weight loaded once for the four.
     */
    static void addFourDots(
            float[][] rows, int e, float[] weights, int from, int to, float[] scores) {
        float[] x0 = rows[e];
        float[] x1 = rows[e + 1];
        float[] x2 = rows[e + 2];
        float[] x3 = rows[e + 3];
        float s0 = scores[e];
        float s1 = scores[e + 1];
        float s2 = scores[e + 2];
        float s3 = scores[e + 3];
        for (int j = from; j < to; j++) {
            float a = weights[j];
            s0 += a * x0[j];
            s1 += a * x1[j];
            s2 += a * x2[j];
            s3 += a * x3[j];
        }
        scores[e] = s0;
        scores[e + 1] = s1;
        scores[e + 2] = s2;
        scores[e + 3] = s3;
    }

    /**
     * The raw gradient and the moments four examples at a time (each accumulator read and written
     * once for the four).
     */
    private void scalarGradientAndMoments() {
        int w = width;
        float[] g = rawGradient;
        int e = 0;
        for (; e + 4 <= size; e += 4) {
            float[] x0 = rows[e];
            float[] x1 = rows[e + 1];
            float[] x2 = rows[e + 2];
            float[] x3 = rows[e + 3];
            float d0 = residuals[e];
            float d1 = residuals[e + 1];
            float d2 = residuals[e + 2];
            float d3 = residuals[e + 3];
            for (int j = 0; j < w; j++) {
                g[j] += (d0 * x0[j] + d1 * x1[j]) + (d2 * x2[j] + d3 * x3[j]);
            }
            for (int j = 0; j < w; j++) {
                float a0 = x0[j];
                float a1 = x1[j];
                float a2 = x2[j];
                float a3 = x3[j];
                sum[j] += (a0 + a1) + (a2 + a3);
                squares[j] += (a0 * a0 + a1 * a1) + (a2 * a2 + a3 * a3);
            }
        }
        for (; e < size; e++) {
            float[] x = rows[e];
            float d = residuals[e];
            for (int j = 0; j < w; j++) {
                float v = x[j];
                g[j] += d * v;
                sum[j] += v;
                squares[j] += v * v;
            }
        }
    }
}
