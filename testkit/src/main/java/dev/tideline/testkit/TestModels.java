package dev.tideline.testkit;

import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.Digests;
import dev.tideline.schemas.model.ModelGraph;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.tribuo.util.onnx.ONNXOperators;

/** Small real ONNX models for tests and benchmarks, built with the project's {@link ModelGraph}. */
public final class TestModels {

    /** The spec fingerprint test vectors and releases carry. */
    public static final String FINGERPRINT = "f".repeat(64);

    private TestModels() {}

    /** score = sigmoid(w · x + b). */
    public static byte[] logistic(float[] weights, float bias) {
        return ModelGraph.input(weights.length)
                .dense(weights, new float[] {bias})
                .sigmoid()
                .toBytes("tideline-tests");
    }

    /** The same graph without the sigmoid: scores are unbounded. */
    public static byte[] linear(float[] weights, float bias) {
        return ModelGraph.input(weights.length)
                .dense(weights, new float[] {bias})
                .toBytes("tideline-tests");
    }

    /**
     * A width→hidden→1 network with sigmoid activations and seeded random weights: the model the
     * serving benchmark scores.
     */
    public static byte[] mlp(int width, int hidden, long seed) {
        Random random = new Random(seed);
        return ModelGraph.input(width)
                .dense(gaussians(width * hidden, random, 0.2), gaussians(hidden, random, 0.1))
                .sigmoid()
                .dense(gaussians(hidden, random, 0.2), new float[] {0})
                .sigmoid()
                .toBytes("tideline-bench");
    }

    /**
     * score = sigmoid((x0 - 7) / (x0 - 7)): 0.73 everywhere except x0 = 7, where it is NaN. It
     * passes the canary batch and fails in service.
     */
    public static byte[] nanAtSeven(int width) {
        float[] first = new float[width];
        first[0] = 1;
        return ModelGraph.input(width)
                .dense(first, new float[] {-7})
                .then(shifted -> shifted.apply(ONNXOperators.DIV, shifted))
                .sigmoid()
                .toBytes("tideline-tests");
    }

    /** A promotable release of model {@code fraud} for spec {@link #FINGERPRINT}. */
    public static ModelRelease release(long version, byte[] onnx, int width) {
        return ModelRelease.newBuilder()
                .setModelName("fraud")
                .setVersion(version)
                .setCreatedAt(Instant.parse("2026-11-23T00:00:00Z"))
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint(FINGERPRINT)
                .setInputWidth(width)
                .setOnnx(ByteBuffer.wrap(onnx))
                .setArtifactUri(null)
                .setSha256(Digests.sha256(onnx))
                .setMetrics(Map.of("auc", 0.9))
                .setParentVersion(null)
                .setTrainingWatermark(Instant.parse("2026-11-22T00:00:00Z"))
                .setPromotable(true)
                .build();
    }

    private static float[] gaussians(int n, Random random, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (random.nextGaussian() * scale);
        }
        return out;
    }
}
