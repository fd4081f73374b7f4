package dev.tideline.serving;

import ai.onnxruntime.OrtException;
import dev.tideline.schemas.avro.FeatureVector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The tensor a poll batch is scored as: one direct, native-order buffer of {@code rows × width}
 * floats, allocated once per replica and refilled for every batch.
 */
public final class VectorBatch {

    private final int width;
    private final int capacity;
    private final FloatBuffer buffer;
    private final float[] scratch;
    private int rows;

    public VectorBatch(int capacity, int width) {
        this.width = width;
        this.capacity = capacity;
        this.buffer =
                ByteBuffer.allocateDirect(4 * capacity * width)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        this.scratch = new float[capacity * width];
    }

    /** Copies the vectors' values in, row by row; each must have exactly {@code width} values. */
    public VectorBatch fill(List<FeatureVector> vectors) {
        if (vectors.size() > capacity) {
            throw new IllegalArgumentException(
                    vectors.size() + " vectors for a batch of " + capacity);
        }
        // Unboxed into a heap array first, then one bulk copy into the direct buffer, rather than
        // a bounds-checked put into native memory per value.
        int n = vectors.size() * width;
        int k = 0;
        for (FeatureVector v : vectors) {
            if (v.getValues().size() != width) {
                throw new IllegalArgumentException(
                        v.getTxnId() + " has " + v.getValues().size() + " values, not " + width);
            }
            for (Float value : v.getValues()) {
                scratch[k++] = value;
            }
        }
        buffer.put(0, scratch, 0, n);
        rows = vectors.size();
        return this;
    }

    /**
     * The rows as written by the decoder, row {@code i} at {@code i * width}; {@link #copyIn} makes
     * the first {@code rows} of them the tensor.
     */
    float[] staging() {
        return scratch;
    }

    /** Copies the first {@code rows} staged rows into the tensor, in one bulk copy. */
    public VectorBatch copyIn(int rows) {
        if (rows > capacity) {
            throw new IllegalArgumentException(rows + " rows for a batch of " + capacity);
        }
        buffer.put(0, scratch, 0, rows * width);
        this.rows = rows;
        return this;
    }

    /** Scores the rows filled last. */
    public float[] score(OnnxScorer scorer) throws OrtException {
        return scorer.score(buffer, rows);
    }

    public int rows() {
        return rows;
    }

    /** Whether every score is a probability: finite and inside [0, 1]. */
    public static int firstInvalid(float[] scores) {
        for (int i = 0; i < scores.length; i++) {
            if (!Float.isFinite(scores[i]) || scores[i] < 0 || scores[i] > 1) {
                return i;
            }
        }
        return -1;
    }
}
