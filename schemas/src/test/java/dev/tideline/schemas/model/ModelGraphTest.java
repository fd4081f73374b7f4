package dev.tideline.schemas.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;

class ModelGraphTest {

    @Test
    void buildsTheGraphServingLoadsFeaturesInScoreOut() throws Exception {
        byte[] bytes =
                ModelGraph.input(3)
                        .standardise(new float[3], new float[] {1, 1, 1})
                        .dense(2, new float[] {1, 2, 3, 4, 5, 6, 0, 0}, 0)
                        .relu()
                        .dense(new float[] {1, -1}, new float[] {0.5f})
                        .sigmoid()
                        .toBytes("test");
        OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(bytes);
        assertThat(model.getGraph().getInput(0).getName()).isEqualTo(ModelGraph.INPUT);
        assertThat(model.getGraph().getOutput(0).getName()).isEqualTo(ModelGraph.OUTPUT);
        assertThat(model.getGraph().getNodeList())
                .extracting(OnnxMl.NodeProto::getOpType)
                .as("the output is assigned through an Identity node")
                .containsExactly("Sub", "Mul", "Gemm", "Relu", "Gemm", "Sigmoid", "Identity");
        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(ModelGraph.OPSET);
    }

    @Test
    void refusesLayersThatDoNotFit() {
        assertThatThrownBy(() -> ModelGraph.input(3).dense(2, new float[5], 0))
                .hasMessageContaining("needs 8 parameters");
        assertThatThrownBy(() -> ModelGraph.input(3).dense(2, new float[8], 0).toBytes("t"))
                .hasMessageContaining("2 values per row");
        assertThatThrownBy(() -> ModelGraph.input(3).standardise(new float[2], new float[3]))
                .hasMessageContaining("mean has 2 values for 3 features");
    }
}
