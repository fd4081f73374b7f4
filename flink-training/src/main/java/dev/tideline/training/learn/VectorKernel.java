package dev.tideline.training.learn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MiniBatch}'s logistic kernel on SIMD lanes, with the incubating Vector API. Loaded only
 * when the JVM was started with {@code --add-modules jdk.incubator.vector} (see {@link
 * MiniBatch#VECTOR_LANES}); the scalar loops in {@link MiniBatch} do the same arithmetic without
 * it.
 *
 * <p>The lanes run along the features, so rows of any width take the same path: whole vectors up to
 * the species' loop bound, then the remaining features one at a time.
 */
final class VectorKernel {

    /**
     * The hardware's preferred float vector, capped at 256 bits: rows of a few dozen features fill
     * 8 lanes, where 16 would leave a third of a 24-feature row to the scalar tail.
     */
    static final VectorSpecies<Float> SPECIES =
            FloatVector.SPECIES_PREFERRED.vectorBitSize() > 256
                    ? FloatVector.SPECIES_256
                    : FloatVector.SPECIES_PREFERRED;

    private VectorKernel() {}

    /** {@code scores[e] = bias + weights · rows[e]} for the first {@code size} rows. */
    static void scores(
            float[][] rows, int size, float[] weights, float bias, int width, float[] scores) {
        VectorSpecies<Float> species = SPECIES;
        int bound = species.loopBound(width);
        int step = species.length();
        int e = 0;
        // Four rows at a time: each weight vector is loaded once for four independent sums.
        for (; e + 4 <= size; e += 4) {
            float[] x0 = rows[e];
            float[] x1 = rows[e + 1];
            float[] x2 = rows[e + 2];
            float[] x3 = rows[e + 3];
            FloatVector a0 = FloatVector.zero(species);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0; j < bound; j += step) {
                FloatVector w = FloatVector.fromArray(species, weights, j);
                a0 = FloatVector.fromArray(species, x0, j).fma(w, a0);
                a1 = FloatVector.fromArray(species, x1, j).fma(w, a1);
                a2 = FloatVector.fromArray(species, x2, j).fma(w, a2);
                a3 = FloatVector.fromArray(species, x3, j).fma(w, a3);
            }
            scores[e] = bias + a0.reduceLanes(VectorOperators.ADD);
            scores[e + 1] = bias + a1.reduceLanes(VectorOperators.ADD);
            scores[e + 2] = bias + a2.reduceLanes(VectorOperators.ADD);
            scores[e + 3] = bias + a3.reduceLanes(VectorOperators.ADD);
            MiniBatch.addFourDots(rows, e, weights, bound, width, scores);
        }
        for (; e < size; e++) {
            float[] x = rows[e];
            FloatVector a = FloatVector.zero(species);
            for (int j = 0; j < bound; j += step) {
                a =
                        FloatVector.fromArray(species, x, j)
                                .fma(FloatVector.fromArray(species, weights, j), a);
            }
            float s = bias + a.reduceLanes(VectorOperators.ADD);
            for (int j = bound; j < width; j++) {
                s += weights[j] * x[j];
            }
            scores[e] = s;
        }
    }

    /**
     * Adds {@code Σ residuals[e] · rows[e]} to {@code gradient}, and each row and its square to
     * {@code sum} and {@code squares}, over the first {@code size} rows. Feature block by feature
     * block: the three accumulators of a block stay in registers for the whole batch.
     */
    static void gradientAndMoments(
            float[][] rows,
            int size,
            float[] residuals,
            int width,
            float[] gradient,
            float[] sum,
            float[] squares) {
        VectorSpecies<Float> species = SPECIES;
        int bound = species.loopBound(width);
        for (int j = 0; j < bound; j += species.length()) {
            FloatVector g = FloatVector.fromArray(species, gradient, j);
            FloatVector s = FloatVector.fromArray(species, sum, j);
            FloatVector q = FloatVector.fromArray(species, squares, j);
            for (int e = 0; e < size; e++) {
                FloatVector x = FloatVector.fromArray(species, rows[e], j);
                g = x.fma(FloatVector.broadcast(species, residuals[e]), g);
                s = s.add(x);
                q = x.fma(x, q);
            }
            g.intoArray(gradient, j);
            s.intoArray(sum, j);
            q.intoArray(squares, j);
        }
        for (int j = bound; j < width; j++) {
            float g = gradient[j];
            float s = sum[j];
            float q = squares[j];
            for (int e = 0; e < size; e++) {
                float v = rows[e][j];
                g += residuals[e] * v;
                s += v;
                q += v * v;
            }
            gradient[j] = g;
            sum[j] = s;
            squares[j] = q;
        }
    }
}
