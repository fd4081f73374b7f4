package dev.tideline.training.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tideline.schemas.model.Canary;
import dev.tideline.schemas.model.ModelGraph;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Optional;

/**
 * Exports a trained network with its standardisation as the ONNX graph serving loads ({@link
 * ModelGraph}): {@code (x - mean) * inverse_std}, then Gemm (+ Relu, Gemm) and Sigmoid.
 */
public final class OnnxExport {

    private OnnxExport() {}

    public static byte[] export(Network network, FeatureScaler scaler, String producer) {
        ModelGraph graph =
                ModelGraph.input(network.width())
                        .standardise(scaler.meanAsFloats(), scaler.inverseStd());
        int offset = 0;
        for (int l = 0; l + 1 < network.layers.length; l++) {
            int in = network.layers[l];
            int out = network.layers[l + 1];
            graph.dense(out, network.params, offset);
            if (l + 2 < network.layers.length) {
                graph.relu();
            }
            offset += in * out + out;
        }
        return graph.sigmoid().toBytes(producer);
    }

    /** What validation found: the largest difference, or why the model could not be run. */
    public record Validation(boolean passed, double maxDifference, String detail) {}

    /**
     * Loads the bytes in ONNX Runtime. Passes when serving's canary batch scores soundly ({@link
     * Canary#problem}, the gate serving applies before it swaps a model in) and every score of
     * {@code rows} rows around the features' own scale ({@link Canary#around}) is within {@code
     * tolerance} of the Java forward pass.
     */
    public static Validation validate(
            byte[] onnx, Network network, FeatureScaler scaler, int rows, double tolerance) {
        int width = network.width();
        float[] mean = scaler.meanAsFloats();
        float[] golden = Canary.around(mean, scaler.stdAsFloats(), rows);
        float[] inverseStd = scaler.inverseStd();
        float[] z = new float[width];
        float[] row = new float[width];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, so)) {
                Optional<String> canary =
                        Canary.problem(
                                score(env, session, Canary.batch(width), width), Canary.ROWS);
                if (canary.isPresent()) {
                    return new Validation(false, Double.NaN, "serving's " + canary.get());
                }
                float[] scores = score(env, session, golden, width);
                if (scores.length != rows) {
                    return new Validation(
                            false, Double.NaN, scores.length + " scores for " + rows + " rows");
                }
                double worst = 0;
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(golden, i * width, row, 0, width);
                    Network.standardise(row, mean, inverseStd, z);
                    float expected = network.predict(z);
                    float actual = scores[i];
                    double diff = Math.abs(expected - actual);
                    if (!(diff <= tolerance)) {
                        return new Validation(
                                false,
                                diff,
                                "row "
                                        + i
                                        + ": ONNX Runtime scored "
                                        + actual
                                        + ", the trained model "
                                        + expected);
                    }
                    worst = Math.max(worst, diff);
                }
                return new Validation(true, worst, "ok");
            }
        } catch (OrtException | RuntimeException e) {
            return new Validation(false, Double.NaN, "ONNX Runtime: " + e);
        }
    }

    /**
     * Scores {@code rows} (row-major, {@code width} wide) with an exported model in ONNX Runtime.
     */
    public static float[] score(byte[] onnx, float[] rows, int width) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, so)) {
                return score(env, session, rows, width);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot score the model: " + e, e);
        }
    }

    private static float[] score(OrtEnvironment env, OrtSession session, float[] rows, int width)
            throws OrtException {
        FloatBuffer buffer =
                ByteBuffer.allocateDirect(4 * rows.length)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer()
                        .put(rows);
        buffer.rewind();
        try (OnnxTensor t =
                        OnnxTensor.createTensor(
                                env, buffer, new long[] {rows.length / width, width});
                OrtSession.Result r = session.run(Map.of(ModelGraph.INPUT, t))) {
            FloatBuffer scores = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[scores.remaining()];
            scores.get(out);
            return out;
        }
    }
}
