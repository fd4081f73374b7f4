package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.testkit.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The CUDA path, where there is one: {@code mvn -Pgpu verify} on a machine with an NVIDIA GPU. */
class CudaScoringTest {

    private static final int WIDTH = 24;
    private static final int ROWS = 4096;

    @Test
    void scoresOnTheGpuAndAgreesWithTheCpu() throws Exception {
        Optional<String> absent = ScoringDevice.cudaUnavailable();
        absent.ifPresent(why -> System.out.println("CudaScoringTest skipped: " + why));
        Assumptions.assumeTrue(absent.isEmpty(), () -> "no CUDA: " + absent.orElse(""));

        float[] weights = new float[WIDTH];
        Random random = new Random(7);
        for (int i = 0; i < WIDTH; i++) {
            weights[i] = (float) random.nextGaussian() * 0.3f;
        }
        byte[] model = TestModels.logistic(weights, 0.1f);
        FloatBuffer batch =
                ByteBuffer.allocateDirect(4 * ROWS * WIDTH)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = 0; i < ROWS * WIDTH; i++) {
            batch.put(i, (float) random.nextGaussian());
        }
        try (OnnxScorer gpu =
                        OnnxScorer.load(
                                "cuda",
                                model,
                                WIDTH,
                                new ScoringOptions(ScoringDevice.CUDA, 0, false));
                OnnxScorer cpu =
                        OnnxScorer.load(
                                "cpu",
                                model,
                                WIDTH,
                                new ScoringOptions(ScoringDevice.CPU, 0, false))) {
            assertThat(gpu.device()).as("the session runs on CUDA").isEqualTo(ScoringDevice.CUDA);
            float[] onGpu = gpu.score(batch, ROWS);
            float[] onCpu = cpu.score(batch, ROWS);
            for (int i = 0; i < ROWS; i++) {
                assertThat(onGpu[i])
                        .as("row %d", i)
                        .isCloseTo(onCpu[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
}
