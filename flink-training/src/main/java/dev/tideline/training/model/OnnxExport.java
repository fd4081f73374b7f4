package dev.tideline.training.model;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;
import org.tribuo.util.onnx.ONNXRef;

/**
 * Exports a trained network with its standardisation as an ONNX graph serving loads: input {@code
 * features} float {@code [batch, width]}, output {@code score} float {@code [batch, 1]}: {@code (x
 * - mean) * inverse_std}, then Gemm (+ Relu, Gemm) and Sigmoid.
 */
public final class OnnxExport {

    public static final String INPUT = "features";
    public static final String OUTPUT = "score";
    static final int OPSET = 14;

    private OnnxExport() {}

    public static byte[] export(Network network, FeatureScaler scaler, String producer) {
        int width = network.width();
        ONNXContext ctx = new ONNXContext();
        ONNXPlaceholder input = ctx.floatInput(INPUT, width);
        ONNXPlaceholder output = ctx.floatOutput(OUTPUT, 1);
        ONNXInitializer mean = ctx.array("feature_mean", scaler.meanAsFloats());
        ONNXInitializer inverseStd = ctx.array("feature_inverse_std", scaler.inverseStd());
        ONNXRef<?> x = input.apply(ONNXOperators.SUB, mean).apply(ONNXOperators.MUL, inverseStd);
        float[] p = network.params;
        int offset = 0;
        for (int l = 0; l + 1 < network.layers.length; l++) {
            int in = network.layers[l];
            int out = network.layers[l + 1];
            int weightsAt = offset;
            ONNXInitializer w =
                    ctx.floatTensor(
                            "w" + (l + 1), List.of(in, out), fb -> fb.put(p, weightsAt, in * out));
            int biasAt = offset + in * out;
            ONNXInitializer b =
                    ctx.floatTensor("b" + (l + 1), List.of(out), fb -> fb.put(p, biasAt, out));
            x = x.apply(ONNXOperators.GEMM, List.of(w, b));
            if (l + 2 < network.layers.length) {
                x = x.apply(ExtraOperators.RELU);
            }
            offset = biasAt + out;
        }
        x.apply(ONNXOperators.SIGMOID).assignTo(output);
        return OnnxMl.ModelProto.newBuilder()
                .setGraph(ctx.buildGraph())
                .setIrVersion(8)
                .setProducerName(producer)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(OPSET))
                .build()
                .toByteArray();
    }

    /** What validation found: the largest difference, or why the model could not be run. */
    public record Validation(boolean passed, double maxDifference, String detail) {}

    /**
     * Loads the bytes in ONNX Runtime and scores a golden batch (zeros, then seeded values around
     * the features' own scale); passes when every score is within {@code tolerance} of the Java
     * forward pass.
     */
    public static Validation validate(
            byte[] onnx, Network network, FeatureScaler scaler, int rows, double tolerance) {
        int width = network.width();
        float[] golden = goldenBatch(scaler, rows);
        float[] mean = scaler.meanAsFloats();
        float[] inverseStd = scaler.inverseStd();
        float[] z = new float[width];
        float[] row = new float[width];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(onnx, so)) {
                FloatBuffer buffer =
                        ByteBuffer.allocateDirect(4 * golden.length)
                                .order(ByteOrder.nativeOrder())
                                .asFloatBuffer()
                                .put(golden);
                buffer.rewind();
                try (OnnxTensor t = OnnxTensor.createTensor(env, buffer, new long[] {rows, width});
                        OrtSession.Result r = session.run(Map.of(INPUT, t))) {
                    FloatBuffer scores = ((OnnxTensor) r.get(0)).getFloatBuffer();
                    if (scores.remaining() != rows) {
                        return new Validation(
                                false,
                                Double.NaN,
                                scores.remaining() + " scores for " + rows + " rows");
                    }
                    double worst = 0;
                    for (int i = 0; i < rows; i++) {
                        System.arraycopy(golden, i * width, row, 0, width);
                        Network.standardise(row, mean, inverseStd, z);
                        float expected = network.predict(z);
                        float actual = scores.get(i);
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
            }
        } catch (OrtException | RuntimeException e) {
            return new Validation(false, Double.NaN, "ONNX Runtime: " + e);
        }
    }

    private static float[] goldenBatch(FeatureScaler scaler, int rows) {
        int width = scaler.width();
        double[] variance = scaler.variance();
        Random random = new Random(20261124L);
        float[] batch = new float[rows * width];
        for (int r = 1; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                double sd = Math.max(FeatureScaler.MIN_STD, Math.sqrt(variance[c]));
                batch[r * width + c] =
                        (float) (scaler.mean[c] + random.nextGaussian() * sd * (1 + r % 3));
            }
        }
        return batch;
    }
}
