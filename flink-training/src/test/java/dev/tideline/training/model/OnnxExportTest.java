package dev.tideline.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.model.ModelGraph;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnnxExportTest {

    private static final int WIDTH = 24;

    @Test
    void exportedModelsScoreLikeTheJavaForwardPassWithinOneInAHundredThousand() {
        FeatureScaler scaler = scaler();
        for (Network net :
                new Network[] {trained(Network.logistic(WIDTH)), Network.mlp(WIDTH, 32, 4)}) {
            byte[] onnx = OnnxExport.export(net, scaler, "tideline-test");
            OnnxExport.Validation v = OnnxExport.validate(onnx, net, scaler, 256, 1e-5);
            assertThat(v.passed()).as("%s: %s", net.kind, v.detail()).isTrue();
            assertThat(v.maxDifference()).isLessThan(1e-5);
        }
    }

    @Test
    void validationCatchesAGraphThatDoesNotMatchTheModel() {
        FeatureScaler scaler = scaler();
        Network net = trained(Network.logistic(WIDTH));
        byte[] onnx = OnnxExport.export(net, scaler, "tideline-test");
        Network other = net.copy();
        other.params[3] += 0.5f;
        OnnxExport.Validation v = OnnxExport.validate(onnx, other, scaler, 256, 1e-5);
        assertThat(v.passed()).isFalse();
        assertThat(v.detail()).contains("ONNX Runtime scored");

        OnnxExport.Validation broken =
                OnnxExport.validate(new byte[] {1, 2, 3}, net, scaler, 16, 1e-5);
        assertThat(broken.passed()).isFalse();
        assertThat(broken.detail()).startsWith("ONNX Runtime:");
    }

    /**
     * A graph without the final sigmoid scores serving's canary rows far outside [0, 1]: validation
     * refuses it with serving's own canary verdict, before comparing it with the model.
     */
    @Test
    void validationAppliesServingsCanaryGate() {
        FeatureScaler scaler = FeatureScaler.of(1_000, new double[] {0, 0}, new double[] {1, 1});
        Network net = Network.logistic(2);
        byte[] unbounded =
                ModelGraph.input(2).dense(new float[] {1, 1}, new float[] {0}).toBytes("test");
        OnnxExport.Validation v = OnnxExport.validate(unbounded, net, scaler, 256, 1e-5);
        assertThat(v.passed()).isFalse();
        assertThat(v.detail()).startsWith("serving's canary row").contains("outside [0, 1]");
    }

    private static FeatureScaler scaler() {
        Random random = new Random(11);
        FeatureScaler s = new FeatureScaler(WIDTH);
        float[] x = new float[WIDTH];
        for (int i = 0; i < 500; i++) {
            for (int j = 0; j < WIDTH; j++) {
                x[j] = (float) (j * 10 + random.nextGaussian() * (j + 1));
            }
            x[WIDTH - 1] = 7; // a constant feature
            s.add(x);
        }
        return s;
    }

    private static Network trained(Network net) {
        Random random = new Random(12);
        for (int i = 0; i < net.params.length; i++) {
            net.params[i] = (float) random.nextGaussian() * 0.3f;
        }
        return net;
    }
}
