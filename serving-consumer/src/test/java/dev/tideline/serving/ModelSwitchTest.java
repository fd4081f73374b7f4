package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.Digests;
import dev.tideline.schemas.model.ReleaseSignature;
import dev.tideline.testkit.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void aRevokedReleaseLeavesServiceForThePreviousOneAndIsNeverLoadedAgain() {
        byte[] onnx = TestModels.logistic(new float[] {1, 0, 0, 0}, 0);
        assertThat(models.offer(TestModels.release(1, onnx, 4))).isTrue();
        assertThat(models.offer(TestModels.release(2, onnx, 4))).isTrue();
        assertThat(models.version()).isEqualTo(2);

        assertThat(models.revoke(2, "by hand")).isTrue();
        assertThat(models.version()).isEqualTo(1);
        assertThat(models.offer(TestModels.release(2, onnx, 4))).isFalse();
        // Revoked before it arrives: never loaded.
        assertThat(models.revoke(3, "known bad")).isFalse();
        assertThat(models.offer(TestModels.release(3, onnx, 4))).isFalse();
        assertThat(models.version()).isEqualTo(1);
        // The last one revoked too: the fallback score.
        assertThat(models.revoke(1, "by hand")).isTrue();
        assertThat(models.version()).isEqualTo(-1);
        assertThat(models.acquire()).isNull();
        assertThat(registry.counter("tideline.serving.model.revocations").count()).isEqualTo(3);
        // A revocation read twice changes nothing.
        assertThat(models.revoke(1, "again")).isFalse();
        assertThat(models.offer(TestModels.release(4, onnx, 4))).isTrue();
        assertThat(models.version()).isEqualTo(4);
    }

    @Test
    void withTrustedKeysServesOnlySignedReleasesAndCountsEachRefusalByReason() throws Exception {
        KeyPair trainer = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair stranger = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelSwitch signedOnly =
                new ModelSwitch(
                        new ModelGates(
                                TestModels.FINGERPRINT,
                                4,
                                new ScoringOptions(ScoringDevice.CPU, 1, false),
                                null,
                                Map.of("trainer-1", trainer.getPublic())),
                        meters);
        byte[] onnx = TestModels.logistic(new float[] {1, 0, 0, 0}, 0);

        assertThat(signedOnly.offer(TestModels.release(1, onnx, 4))).isFalse();
        ModelRelease tampered =
                ModelRelease.newBuilder(
                                ReleaseSignature.sign(
                                        TestModels.release(2, onnx, 4),
                                        trainer.getPrivate(),
                                        "trainer-1"))
                        .setOnnx(
                                java.nio.ByteBuffer.wrap(
                                        TestModels.logistic(new float[] {9, 9, 9, 9}, 0)))
                        .setSha256(
                                dev.tideline.schemas.model.Digests.sha256(
                                        TestModels.logistic(new float[] {9, 9, 9, 9}, 0)))
                        .build();
        assertThat(signedOnly.offer(tampered)).as("other bytes under v2's signature").isFalse();
        assertThat(
                        signedOnly.offer(
                                ReleaseSignature.sign(
                                        TestModels.release(3, onnx, 4),
                                        stranger.getPrivate(),
                                        "trainer-1")))
                .as("signed by another key under the trusted id")
                .isFalse();
        assertThat(
                        signedOnly.offer(
                                ReleaseSignature.sign(
                                        TestModels.release(4, onnx, 4),
                                        stranger.getPrivate(),
                                        "stranger")))
                .isFalse();
        assertThat(signedOnly.version())
                .as("nothing unsigned or badly signed serves")
                .isEqualTo(-1);
        for (String reason : List.of("unsigned", "bad-signature", "unknown-key")) {
            assertThat(
                            meters.get("tideline.serving.model.refusals")
                                    .tag("gate", reason)
                                    .counter()
                                    .count())
                    .as(reason)
                    .isEqualTo(reason.equals("bad-signature") ? 2 : 1);
        }

        assertThat(
                        signedOnly.offer(
                                ReleaseSignature.sign(
                                        TestModels.release(5, onnx, 4),
                                        trainer.getPrivate(),
                                        "trainer-1")))
                .isTrue();
        assertThat(signedOnly.version()).isEqualTo(5);
        signedOnly.close();
    }

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

    @Test
    void refusesAShadowThatDisagreesMoreThanAllowedAndPromotesOneThatDoesNot() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelSwitch shadowed =
                new ModelSwitch(
                        new ModelGates(
                                TestModels.FINGERPRINT,
                                4,
                                new ScoringOptions(ScoringDevice.CPU, 1, false)),
                        meters,
                        3,
                        Duration.ofMinutes(1),
                        new ModelSwitch.ShadowSettings(100, 0.5, 0.2));
        shadowed.offer(TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4));
        shadowed.offer(TestModels.release(2, TestModels.logistic(new float[] {0, 1, 0, 0}, 0), 4));
        ModelSwitch.Live disagreeing = shadowed.acquireShadow();
        disagreeing.scorer().release();
        shadowed.recordShadowScores(new float[] {0.1f, 0.9f}, new float[] {0.8f, 0.2f}, 2);
        shadowed.reportShadow(disagreeing, 100, 21, false);

        assertThat(shadowed.version()).as("21% disagreement, 20% allowed: refused").isEqualTo(1);
        assertThat(disagreeing.scorer().isClosed()).isTrue();
        assertThat(
                        meters.get("tideline.serving.model.refusals")
                                .tag("gate", "shadow-disagreement")
                                .counter()
                                .count())
                .isEqualTo(1);
        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        2, TestModels.logistic(new float[] {0, 1, 0, 0}, 0), 4)))
                .as("a refused shadow is not offered again")
                .isFalse();
        assertThat(
                        meters.get("tideline.serving.shadow.scores")
                                .tag("model", "shadow")
                                .summary()
                                .mean())
                .isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(
                        meters.get("tideline.serving.shadow.scores")
                                .tag("model", "champion")
                                .summary()
                                .count())
                .isEqualTo(2);

        shadowed.offer(TestModels.release(3, TestModels.logistic(new float[] {2, 0, 0, 0}, 0), 4));
        ModelSwitch.Live agreeing = shadowed.acquireShadow();
        agreeing.scorer().release();
        shadowed.reportShadow(agreeing, 100, 20, false);
        assertThat(shadowed.version()).as("20% disagreement: promoted").isEqualTo(3);
        shadowed.close();
    }

    @Test
    void scoresANewReleaseInTheShadowThenPromotesIt() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelSwitch shadowed =
                new ModelSwitch(
                        new ModelGates(
                                TestModels.FINGERPRINT,
                                4,
                                new ScoringOptions(ScoringDevice.CPU, 1, false)),
                        meters,
                        3,
                        Duration.ofMinutes(1),
                        new ModelSwitch.ShadowSettings(100, 0.5));
        assertThat(shadowed.acquireShadow()).isNull();
        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), 4)))
                .as("the first model has nothing to shadow: served at once")
                .isTrue();
        assertThat(shadowed.version()).isEqualTo(1);
        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        2, TestModels.logistic(new float[] {0, 1, 0, 0}, 0), 4)))
                .isTrue();
        assertThat(shadowed.version()).as("v2 only scores in the shadow").isEqualTo(1);
        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        2, TestModels.logistic(new float[] {0, 1, 0, 0}, 0), 4)))
                .as("already in the shadow")
                .isFalse();

        ModelSwitch.Live shadow = shadowed.acquireShadow();
        assertThat(shadow.version()).isEqualTo(2);
        shadow.scorer().release();
        shadowed.reportShadow(shadow, 60, 6, false);
        assertThat(shadowed.version()).isEqualTo(1);
        shadowed.reportShadow(shadow, 50, 5, false);

        assertThat(shadowed.version()).as("promoted after 110 of 100 vectors").isEqualTo(2);
        assertThat(shadowed.acquireShadow()).isNull();
        assertThat(meters.get("tideline.serving.shadow.disagreement").gauge().value())
                .isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(meters.get("tideline.serving.shadow.compared").counter().count()).isEqualTo(110);
        assertThat(meters.get("tideline.serving.shadow.disagreed").counter().count()).isEqualTo(11);

        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        3, TestModels.logistic(new float[] {0, 0, 1, 0}, 0), 4)))
                .isTrue();
        ModelSwitch.Live failing = shadowed.acquireShadow();
        failing.scorer().release();
        shadowed.reportShadow(failing, 10, 0, true);
        assertThat(shadowed.version()).as("a failing shadow is never promoted").isEqualTo(2);
        assertThat(failing.scorer().isClosed()).isTrue();
        assertThat(
                        meters.get("tideline.serving.model.refusals")
                                .tag("gate", "shadow")
                                .counter()
                                .count())
                .isEqualTo(1);
        assertThat(
                        shadowed.offer(
                                TestModels.release(
                                        3, TestModels.logistic(new float[] {0, 0, 1, 0}, 0), 4)))
                .as("dropped for good")
                .isFalse();
        shadowed.close();
    }

    @Test
    void fetchesArtifactsByUriAndRetriesOnesItCouldNotFetch(@TempDir Path dir) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelSwitch fetching =
                new ModelSwitch(
                        new ModelGates(
                                TestModels.FINGERPRINT,
                                4,
                                new ScoringOptions(ScoringDevice.CPU, 1, false),
                                new ArtifactFetcher(ArtifactFetcher.Settings.defaults(), meters)),
                        meters);
        byte[] onnx = TestModels.logistic(new float[] {1, 0, 0, 0}, 0);
        Path artifact = dir.resolve("fraud-1.onnx");
        ModelRelease byUri =
                ModelRelease.newBuilder(TestModels.release(1, onnx, 4))
                        .setOnnx(null)
                        .setArtifactUri(artifact.toUri().toString())
                        .build();

        assertThat(fetching.offer(byUri)).as("not there yet").isFalse();
        assertThat(
                        meters.get("tideline.serving.model.refusals")
                                .tag("gate", "fetch")
                                .counter()
                                .count())
                .isEqualTo(1);
        Files.write(artifact, onnx);
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () -> {
                            fetching.retryPending();
                            return fetching.version() == 1;
                        });

        ModelRelease tampered =
                ModelRelease.newBuilder(byUri)
                        .setVersion(2)
                        .setSha256(Digests.sha256(new byte[] {1}))
                        .build();
        assertThat(fetching.offer(tampered)).as("fetched bytes are checked too").isFalse();
        assertThat(
                        meters.get("tideline.serving.model.refusals")
                                .tag("gate", "digest")
                                .counter()
                                .count())
                .isEqualTo(1);
        fetching.close();
    }
}
