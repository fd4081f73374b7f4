package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ModelSwitchTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ModelSwitch models =
            new ModelSwitch(
                    new ModelGates(
                            TestModels.FINGERPRINT,
                            4,
                            new ScoringOptions(ScoringDevice.CPU, 1, false)),
                    registry,
                    3,
                    Duration.ofMinutes(1));

    @Test
    void servesOnlyNewerReleasesThatPassTheirGates() {
        assertThat(models.acquire()).as("no model: fallback").isNull();
        assertThat(
                        models.offer(
                                TestModels.release(
                                        2, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4)))
                .isTrue();
        assertThat(
                        models.offer(
                                TestModels.release(
                                        1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4)))
                .as("older")
                .isFalse();
        assertThat(
                        models.offer(
                                TestModels.release(
                                        3, TestModels.linear(new float[] {1, 0, 0, 0}, 0), 4)))
                .as("fails the canary")
                .isFalse();
        assertThat(models.version()).isEqualTo(2);
        assertThat(
                        registry.find("tideline.serving.model.refusals")
                                .tag("gate", "canary")
                                .counter()
                                .count())
                .isEqualTo(1);
        models.close();
    }

    @Test
    void rollsBackAReleaseThatFailsInServiceAndNeverServesItAgain() throws Exception {
        models.offer(TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4));
        assertThat(models.offer(TestModels.release(2, TestModels.nanAtSeven(4), 4)))
                .as("passes its canary")
                .isTrue();

        ModelSwitch.Live bad = models.acquire();
        FloatBuffer seven =
                ByteBuffer.allocateDirect(16)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer()
                        .put(0, 7f);
        assertThat(bad.scorer().score(seven, 1)[0]).isNaN();
        bad.scorer().release();
        long now = 1_000_000;
        models.reportFailure(bad, now);
        models.reportFailure(bad, now + 1);
        assertThat(models.version()).as("two failures are within tolerance").isEqualTo(2);
        models.reportFailure(bad, now + 2);

        assertThat(models.version()).isEqualTo(1);
        assertThat(bad.scorer().isClosed()).isTrue();
        assertThat(registry.find("tideline.serving.model.rollbacks").counter().count())
                .isEqualTo(1);
        assertThat(models.offer(TestModels.release(2, TestModels.nanAtSeven(4), 4)))
                .as("banned")
                .isFalse();
        assertThat(
                        models.offer(
                                TestModels.release(
                                        3, TestModels.logistic(new float[] {0, 1, 0, 0}, 0), 4)))
                .isTrue();
        models.close();
    }

    @Test
    void forgetsFailuresOutsideTheWindow() {
        models.offer(TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4));
        models.offer(TestModels.release(2, TestModels.nanAtSeven(4), 4));
        ModelSwitch.Live live = models.acquire();
        live.scorer().release();
        models.reportFailure(live, 0);
        models.reportFailure(live, 1);
        models.reportFailure(live, Duration.ofMinutes(2).toMillis());
        assertThat(models.version()).isEqualTo(2);
        models.close();
    }
}
