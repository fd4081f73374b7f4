package dev.tideline.schemas.model;

import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

/**
 * The seeded rows a model is tried on before anyone relies on it. Serving scores {@link
 * #batch(int)} before it swaps a release in, and the training job scores the same rows before it
 * publishes one, both judging the scores with {@link #problem}: a release the job publishes cannot
 * then fail serving's canary. The job also compares its export with the trained model on {@link
 * #around} rows, in the features' own scale.
 */
public final class Canary {

    /** Rows in {@link #batch(int)}. */
    public static final int ROWS = 64;

    private static final long SEED = 20261123L;

    private Canary() {}

    /**
     * Row 0 all zeros, then seeded standard normal values at scales 1, 10, 100 and 1000 in turn:
     * inputs far outside anything trained on, as a model in service may meet.
     */
    public static float[] batch(int width) {
        float[] centre = new float[width];
        float[] spread = new float[width];
        Arrays.fill(spread, 1f);
        return rows(ROWS, centre, spread, new double[] {1, 10, 100, 1000});
    }

    /**
     * Row 0 all zeros, then seeded values around {@code centre}, at one, two and three times {@code
     * spread} in turn: the range the features really take.
     */
    public static float[] around(float[] centre, float[] spread, int rows) {
        return rows(rows, centre, spread, new double[] {1, 2, 3});
    }

    /**
     * Row 0 zeros; row {@code r > 0} is {@code centre + N(0, 1) * spread * scales[r %
     * scales.length]} per column, from one seeded generator.
     */
    static float[] rows(int rows, float[] centre, float[] spread, double[] scales) {
        int width = centre.length;
        if (spread.length != width) {
            throw new IllegalArgumentException(
                    spread.length + " spreads for " + width + " features");
        }
        Random random = new Random(SEED);
        float[] batch = new float[rows * width];
        for (int r = 1; r < rows; r++) {
            double scale = scales[r % scales.length];
            for (int c = 0; c < width; c++) {
                batch[r * width + c] =
                        (float) (centre[c] + random.nextGaussian() * spread[c] * scale);
            }
        }
        return batch;
    }

    /**
     * What is wrong with a model's scores of {@code rows} canary rows, if anything: too few or too
     * many scores, or a score that is NaN, infinite or outside [0, 1].
     */
    public static Optional<String> problem(float[] scores, int rows) {
        for (int i = 0; i < scores.length; i++) {
            if (!Float.isFinite(scores[i]) || scores[i] < 0 || scores[i] > 1) {
                return Optional.of("canary row " + i + " scored " + scores[i] + ", outside [0, 1]");
            }
        }
        return scores.length == rows
                ? Optional.empty()
                : Optional.of("canary gave " + scores.length + " scores for " + rows + " rows");
    }
}
