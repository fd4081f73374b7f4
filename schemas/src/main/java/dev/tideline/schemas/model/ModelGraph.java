package dev.tideline.schemas.model;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.function.UnaryOperator;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXInitializer;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;
import org.tribuo.util.onnx.ONNXRef;

/**
 * Builds the ONNX graph of a model as a {@code ModelRelease} carries it: input {@value #INPUT}
 * float {@code [batch, width]}, output {@value #OUTPUT} float {@code [batch, 1]}. The training
 * export, the benchmarks and the tests all build their models here, so that every model the project
 * makes has the shape serving loads.
 *
 * <p>Layers are applied in the order called: {@code ModelGraph.input(24).standardise(mean,
 * inverseStd).dense(32, params, 0).relu().dense(1, params, 800).sigmoid().toBytes("trainer")}.
 */
public final class ModelGraph {

    /** The name of the model's input tensor. */
    public static final String INPUT = "features";

    /** The name of the model's output tensor. */
    public static final String OUTPUT = "score";

    /** The ONNX operator set every graph imports. */
    public static final int OPSET = 14;

    private static final int IR_VERSION = 8;

    private final ONNXContext context = new ONNXContext();
    private final ONNXPlaceholder input;
    private ONNXRef<?> head;
    private int width;
    private int layers;

    private ModelGraph(int width) {
        if (width < 1) {
            throw new IllegalArgumentException("a model takes at least one feature, not " + width);
        }
        this.input = context.floatInput(INPUT, width);
        this.head = input;
        this.width = width;
    }

    /** A graph over {@code width} features, with nothing applied yet. */
    public static ModelGraph input(int width) {
        return new ModelGraph(width);
    }

    /** {@code (x - mean) * inverseStd}, per feature. */
    public ModelGraph standardise(float[] mean, float[] inverseStd) {
        checkWidth("mean", mean.length);
        checkWidth("inverse standard deviation", inverseStd.length);
        ONNXInitializer m = context.array("feature_mean", mean);
        ONNXInitializer s = context.array("feature_inverse_std", inverseStd);
        head = head.apply(ONNXOperators.SUB, m).apply(ONNXOperators.MUL, s);
        return this;
    }

    /**
     * A fully connected layer to {@code out} units ({@code Gemm}): weights {@code [width, out]}
     * row-major, then {@code out} biases, read from {@code params} at {@code offset}.
     */
    public ModelGraph dense(int out, float[] params, int offset) {
        int in = width;
        int biasAt = offset + in * out;
        if (offset < 0 || biasAt + out > params.length) {
            throw new IllegalArgumentException(
                    "a "
                            + in
                            + "→"
                            + out
                            + " layer needs "
                            + (in * out + out)
                            + " parameters from "
                            + offset
                            + "; there are "
                            + params.length);
        }
        layers++;
        ONNXInitializer w =
                context.floatTensor(
                        "w" + layers, List.of(in, out), fb -> fb.put(params, offset, in * out));
        ONNXInitializer b =
                context.floatTensor("b" + layers, List.of(out), fb -> fb.put(params, biasAt, out));
        head = head.apply(ONNXOperators.GEMM, List.of(w, b));
        width = out;
        return this;
    }

    /**
     * A fully connected layer from separate weights ({@code [width, out]} row-major) and biases.
     */
    public ModelGraph dense(float[] weights, float[] bias) {
        float[] params = new float[weights.length + bias.length];
        System.arraycopy(weights, 0, params, 0, weights.length);
        System.arraycopy(bias, 0, params, weights.length, bias.length);
        if (weights.length != width * bias.length) {
            throw new IllegalArgumentException(
                    weights.length
                            + " weights do not make a "
                            + width
                            + "→"
                            + bias.length
                            + " layer");
        }
        return dense(bias.length, params, 0);
    }

    public ModelGraph relu() {
        head = head.apply(ModelOperators.RELU);
        return this;
    }

    public ModelGraph sigmoid() {
        head = head.apply(ONNXOperators.SIGMOID);
        return this;
    }

    /**
     * Any other operator tribuo-util-onnx offers, applied to the graph so far (tests build broken
     * models with it).
     */
    public ModelGraph then(UnaryOperator<ONNXRef<?>> step) {
        head = step.apply(head);
        return this;
    }

    /** The serialized {@code ModelProto}; the graph must end in one score per row. */
    public byte[] toBytes(String producer) {
        if (width != 1) {
            throw new IllegalStateException(
                    "the graph ends in " + width + " values per row; a model scores one");
        }
        head.assignTo(context.floatOutput(OUTPUT, 1));
        return OnnxMl.ModelProto.newBuilder()
                .setGraph(context.buildGraph())
                .setIrVersion(IR_VERSION)
                .setProducerName(producer)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(OPSET))
                .build()
                .toByteArray();
    }

    private void checkWidth(String what, int length) {
        if (length != width) {
            throw new IllegalArgumentException(
                    what + " has " + length + " values for " + width + " features");
        }
    }
}
