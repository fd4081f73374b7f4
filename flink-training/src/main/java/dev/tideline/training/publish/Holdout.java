package dev.tideline.training.publish;

import dev.tideline.schemas.model.Evaluation;
import dev.tideline.training.io.Example;

/**
 * The publisher's holdout: the most recent matured examples the learners never train on, in a ring
 * of fixed capacity, on which the champion/challenger gate scores each exported model. A Flink
 * POJO, kept in the publisher's keyed state, so it survives restores.
 */
public final class Holdout {

    public float[] values;
    public boolean[] fraud;
    public int width;
    public int capacity;
    public int size;
    public int next;

    public Holdout() {}

    Holdout(int capacity, int width) {
        this.capacity = capacity;
        this.width = width;
        this.values = new float[capacity * width];
        this.fraud = new boolean[capacity];
    }

    /** Keeps {@code e}, replacing the oldest example once the ring is full. */
    void add(Example e) {
        System.arraycopy(e.values, 0, values, next * width, width);
        fraud[next] = e.fraud;
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    /** The held examples' rows, row-major, {@code size × width}. */
    float[] rows() {
        float[] out = new float[size * width];
        System.arraycopy(values, 0, out, 0, out.length);
        return out;
    }

    boolean[] labels() {
        boolean[] out = new boolean[size];
        System.arraycopy(fraud, 0, out, 0, size);
        return out;
    }

    int positives() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (fraud[i]) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether it can judge a model: at least {@code min} examples, among them at least {@code
     * minPositives} positives and a negative.
     */
    boolean judges(int min, int minPositives) {
        int p = positives();
        return size >= min && p >= Math.max(1, minPositives) && p < size;
    }

    static double auc(float[] scores, boolean[] labels) {
        return Evaluation.auc(scores, labels);
    }

    static double averagePrecision(float[] scores, boolean[] labels) {
        return Evaluation.averagePrecision(scores, labels);
    }
}
