package dev.tideline.serving;

import ai.onnx.proto.OnnxMl;
import dev.tideline.schemas.avro.ModelRelease;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;

/** Small real ONNX models for tests, built with Tribuo's graph builder. */
final class TestModels {

    static final String FINGERPRINT = "f".repeat(64);

    private TestModels() {}

    /** score = sigmoid(w · x + b), input "features" [batch, width], output "score" [batch, 1]. */
    static byte[] logistic(float[] weights, float bias) {
        return model(weights, bias, true);
    }

    /** The same graph without the sigmoid: scores are unbounded. */
    static byte[] linear(float[] weights, float bias) {
        return model(weights, bias, false);
    }

    private static byte[] model(float[] weights, float bias, boolean sigmoid) {
        ONNXContext ctx = new ONNXContext();
        ONNXPlaceholder input = ctx.floatInput("features", weights.length);
        ONNXPlaceholder output = ctx.floatOutput("score", 1);
        ONNXInitializer w = ctx.floatTensor("w", List.of(weights.length, 1), fb -> fb.put(weights));
        ONNXInitializer b = ctx.array("b", new float[] {bias});
        var gemm = input.apply(ONNXOperators.GEMM, List.of(w, b));
        (sigmoid ? gemm.apply(ONNXOperators.SIGMOID) : gemm).assignTo(output);
        return OnnxMl.ModelProto.newBuilder()
                .setGraph(ctx.buildGraph())
                .setIrVersion(8)
                .setProducerName("tideline-tests")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13))
                .build()
                .toByteArray();
    }

    /**
     * score = sigmoid((x0 - 7) / (x0 - 7)): 0.73 everywhere except x0 = 7, where it is NaN. It
     * passes the canary batch and fails in service.
     */
    static byte[] nanAtSeven(int width) {
        ONNXContext ctx = new ONNXContext();
        ONNXPlaceholder input = ctx.floatInput("features", width);
        ONNXPlaceholder output = ctx.floatOutput("score", 1);
        float[] first = new float[width];
        first[0] = 1;
        ONNXInitializer w = ctx.floatTensor("w", List.of(width, 1), fb -> fb.put(first));
        ONNXInitializer b = ctx.array("b", new float[] {-7});
        var shifted = input.apply(ONNXOperators.GEMM, List.of(w, b));
        shifted.apply(ONNXOperators.DIV, shifted).apply(ONNXOperators.SIGMOID).assignTo(output);
        return OnnxMl.ModelProto.newBuilder()
                .setGraph(ctx.buildGraph())
                .setIrVersion(8)
                .setProducerName("tideline-tests")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13))
                .build()
                .toByteArray();
    }

    static ModelRelease release(long version, byte[] onnx, int width) {
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
                .setSha256(ModelGates.sha256(onnx))
                .setMetrics(Map.of("auc", 0.9))
                .setParentVersion(null)
                .setTrainingWatermark(Instant.parse("2026-11-22T00:00:00Z"))
                .setPromotable(true)
                .build();
    }
}
