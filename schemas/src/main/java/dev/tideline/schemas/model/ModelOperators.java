package dev.tideline.schemas.model;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import org.tribuo.util.onnx.ONNXAttribute;
import org.tribuo.util.onnx.ONNXOperator;
import org.tribuo.util.onnx.ONNXOperators;

/** ONNX operators that tribuo-util-onnx's own enum lacks. */
enum ModelOperators implements ONNXOperator {
    /** Rectified linear unit, opset 14. */
    RELU("Relu", 1, 14);

    private final String name;
    private final int inputs;
    private final int version;

    ModelOperators(String name, int inputs, int version) {
        this.name = name;
        this.inputs = inputs;
        this.version = version;
    }

    @Override
    public String getOpName() {
        return name;
    }

    @Override
    public int getNumInputs() {
        return inputs;
    }

    @Override
    public int getNumOptionalInputs() {
        return 0;
    }

    @Override
    public int getNumOutputs() {
        return 1;
    }

    @Override
    public Map<String, ONNXAttribute> getAttributes() {
        return Collections.emptyMap();
    }

    @Override
    public Set<String> getMandatoryAttributeNames() {
        return Collections.emptySet();
    }

    @Override
    public int getOpVersion() {
        return version;
    }

    @Override
    public String getOpDomain() {
        return ONNXOperators.SIGMOID.getOpDomain(); // the default domain, as tribuo writes it
    }
}
