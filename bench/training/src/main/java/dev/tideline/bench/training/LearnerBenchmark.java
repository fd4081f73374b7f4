package dev.tideline.bench.training;

import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.training.learn.LocalModel;
import dev.tideline.training.learn.TrainingSettings;
import dev.tideline.training.model.Optimizer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The learner's update path ({@link LocalModel#train}: test-then-train with standardisation,
 * running statistics and progressive metrics, and an update every K examples) against a plain
 * single-threaded mini-batch SGD loop for the same logistic model over the same in-memory examples.
 * Scores are examples per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LearnerBenchmark {

    static final int WIDTH = 24;
    static final int EXAMPLES = 8_192;
    static final int BATCH = 32;
    static final float RATE = 0.01f;

    /**
     * The job's default K: the learner's update, with its statistics and metrics, is part of it.
     */
    static final int UPDATE_EVERY = 512;

    float[][] x;
    boolean[] y;
    LocalModel learner;
    float[] w;
    float[] grad;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(5);
        x = new float[EXAMPLES][WIDTH];
        y = new boolean[EXAMPLES];
        for (int i = 0; i < EXAMPLES; i++) {
            for (int j = 0; j < WIDTH; j++) {
                x[i][j] = (float) (j + random.nextGaussian() * (1 + j % 5));
            }
            y[i] = random.nextDouble() < 0.08;
        }
        learner = LocalModel.fresh(settings());
        w = new float[WIDTH + 1];
        grad = new float[WIDTH + 1];
    }

    static TrainingSettings settings() {
        return new TrainingSettings(
                "bench",
                ModelKind.LOGISTIC_REGRESSION,
                WIDTH,
                0,
                1,
                Optimizer.Kind.SGD,
                RATE,
                0,
                BATCH,
                UPDATE_EVERY,
                Duration.ofHours(1),
                1,
                Duration.ofHours(1),
                Integer.MAX_VALUE, // no aggregator here: every update is sent
                1,
                Duration.ofHours(1),
                1.0,
                1f);
    }

    @Benchmark
    @OperationsPerInvocation(EXAMPLES)
    public long learner() {
        long sent = 0;
        for (int i = 0; i < EXAMPLES; i++) {
            learner.train(x[i], y[i], i);
            if (learner.updateDue()) {
                sent += learner.takeUpdate(0).examples;
            }
        }
        return sent;
    }

    /** The baseline: the model's arithmetic and nothing else. */
    @Benchmark
    @OperationsPerInvocation(EXAMPLES)
    public float plain() {
        float last = 0;
        int inBatch = 0;
        for (int i = 0; i < EXAMPLES; i++) {
            float[] xi = x[i];
            float s = w[WIDTH];
            for (int j = 0; j < WIDTH; j++) {
                s += w[j] * xi[j];
            }
            float p = (float) (1 / (1 + Math.exp(-s)));
            float d = p - (y[i] ? 1 : 0);
            for (int j = 0; j < WIDTH; j++) {
                grad[j] += d * xi[j];
            }
            grad[WIDTH] += d;
            if (++inBatch == BATCH) {
                for (int j = 0; j <= WIDTH; j++) {
                    w[j] -= RATE * grad[j] / BATCH;
                    grad[j] = 0;
                }
                inBatch = 0;
            }
            last = p;
        }
        return last;
    }
}
