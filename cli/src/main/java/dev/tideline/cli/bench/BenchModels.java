package dev.tideline.cli.bench;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.Random;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;

/** Models for benchmarks: a width→hidden→1 MLP with sigmoid activations, random weights. */
public final class BenchModels {

    private BenchModels() {}

    public static byte[] mlp(int width, int hidden, long seed) {
        Random random = new Random(seed);
        ONNXContext ctx = new ONNXContext();
        ONNXPlaceholder input = ctx.floatInput("features", width);
        ONNXPlaceholder output = ctx.floatOutput("score", 1);
        ONNXInitializer w1 =
                ctx.floatTensor(
                        "w1", List.of(width, hidden), fb -> fill(fb, width * hidden, random, 0.2));
        ONNXInitializer b1 =
                ctx.floatTensor("b1", List.of(hidden), fb -> fill(fb, hidden, random, 0.1));
        ONNXInitializer w2 =
                ctx.floatTensor("w2", List.of(hidden, 1), fb -> fill(fb, hidden, random, 0.2));
        ONNXInitializer b2 = ctx.array("b2", new float[] {0});
        input.apply(ONNXOperators.GEMM, List.of(w1, b1))
                .apply(ONNXOperators.SIGMOID)
                .apply(ONNXOperators.GEMM, List.of(w2, b2))
                .apply(ONNXOperators.SIGMOID)
                .assignTo(output);
        return OnnxMl.ModelProto.newBuilder()
                .setGraph(ctx.buildGraph())
                .setIrVersion(8)
                .setProducerName("tideline-bench")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13))
                .build()
                .toByteArray();
    }

    private static void fill(java.nio.FloatBuffer fb, int n, Random random, double scale) {
        for (int i = 0; i < n; i++) {
            fb.put((float) (random.nextGaussian() * scale));
        }
    }
}
