package dev.tideline.training.model;

/**
 * Mini-batch SGD, AdaGrad or Adam over a flat parameter array, with optional L2 decay. The
 * optimiser's state (AdaGrad's sums of squared gradients, Adam's moments) belongs to the learner
 * that holds it and survives a new global model. A Flink POJO.
 *
 * <p>AdaGrad (Duchi, Hazan and Singer 2011; the per-coordinate rates of McMahan et al.'s FTRL for
 * click prediction) divides each step by the root of the sum of that parameter's squared gradients
 * so far: steps shrink as evidence accumulates, and a logistic model settles towards the fit of
 * everything it has seen. Adam's rate does not decay; its model follows the latest few thousand
 * examples, so releases a minute apart can disagree about a feature whose link to fraud drifts.
 */
public final class Optimizer {

    public enum Kind {
        SGD(0.1f),
        ADAM(0.01f),
        ADAGRAD(0.1f);

        /** The learning rate used when none is configured. */
        public final float defaultLearningRate;

        Kind(float defaultLearningRate) {
            this.defaultLearningRate = defaultLearningRate;
        }
    }

    public Kind kind;
    public float learningRate;
    public float l2;

    /** Adam's first moments. */
    public float[] m;

    /** Adam's second moments; AdaGrad's sums of squared gradients. */
    public float[] v;

    public long steps;

    public Optimizer() {}

    public Optimizer(Kind kind, float learningRate, float l2, int parameters) {
        this.kind = kind;
        this.learningRate = learningRate;
        this.l2 = l2;
        if (kind == Kind.ADAM) {
            m = new float[parameters];
        }
        if (kind != Kind.SGD) {
            v = new float[parameters];
        }
    }

    /** One step with the gradient summed over {@code batch} examples; clears {@code grad}. */
    public void step(float[] params, float[] grad, int batch) {
        step(params, grad, (float) batch);
    }

    /**
     * One step with the gradient summed over examples whose loss weights sum to {@code weight}
     * (their count when unweighted): the step follows the weighted mean; clears {@code grad}.
     */
    public void step(float[] params, float[] grad, float weight) {
        if (weight <= 0) {
            return;
        }
        steps++;
        float inv = 1f / weight;
        if (kind == Kind.SGD) {
            for (int i = 0; i < params.length; i++) {
                float g = grad[i] * inv + l2 * params[i];
                params[i] -= learningRate * g;
                grad[i] = 0;
            }
            return;
        }
        if (kind == Kind.ADAGRAD) {
            for (int i = 0; i < params.length; i++) {
                float g = grad[i] * inv + l2 * params[i];
                v[i] += g * g;
                params[i] -= learningRate * g / ((float) Math.sqrt(v[i]) + 1e-7f);
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
