package dev.tideline.training.model;

/**
 * Mini-batch SGD or Adam over a flat parameter array, with optional L2 decay. Adam's moments belong
 * to the learner that holds them and survive a new global model. A Flink POJO.
 */
public final class Optimizer {

    public enum Kind {
        SGD,
        ADAM
    }

    public Kind kind;
    public float learningRate;
    public float l2;
    public float[] m;
    public float[] v;
    public long steps;

    public Optimizer() {}

    public Optimizer(Kind kind, float learningRate, float l2, int parameters) {
        this.kind = kind;
        this.learningRate = learningRate;
        this.l2 = l2;
        if (kind == Kind.ADAM) {
            m = new float[parameters];
            v = new float[parameters];
        }
    }

    /** One step with the gradient summed over {@code batch} examples; clears {@code grad}. */
    public void step(float[] params, float[] grad, int batch) {
        if (batch == 0) {
            return;
        }
        steps++;
        float inv = 1f / batch;
        if (kind == Kind.SGD) {
            for (int i = 0; i < params.length; i++) {
                float g = grad[i] * inv + l2 * params[i];
                params[i] -= learningRate * g;
                grad[i] = 0;
            }
            return;
        }
        final float b1 = 0.9f;
        final float b2 = 0.999f;
        double c1 = 1 - Math.pow(b1, steps);
        double c2 = 1 - Math.pow(b2, steps);
        float lr = (float) (learningRate * Math.sqrt(c2) / c1);
        for (int i = 0; i < params.length; i++) {
            float g = grad[i] * inv + l2 * params[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            params[i] -= lr * m[i] / ((float) Math.sqrt(v[i]) + 1e-7f);
            grad[i] = 0;
        }
    }
}
