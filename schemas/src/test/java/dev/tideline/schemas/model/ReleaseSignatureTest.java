package dev.tideline.schemas.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.schemas.ContractSamples;
import dev.tideline.schemas.avro.ModelRelease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReleaseSignatureTest {

    @Test
    void aSignedReleaseVerifiesAndAnyChangeToWhatIsSignedDoesNot(@TempDir Path dir)
            throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        // Through PEM files, as operators hand them over.
        Path priv = dir.resolve("signing.pem");
        Path pub = dir.resolve("signing.pub.pem");
        Files.writeString(
                priv, ReleaseSignature.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(pub, ReleaseSignature.pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        var trusted = Map.of("k1", ReleaseSignature.publicKey(pub));

        ModelRelease release = ContractSamples.modelRelease();
        ModelRelease signed =
                ReleaseSignature.sign(release, ReleaseSignature.privateKey(priv), "k1");
        assertThat(ReleaseSignature.verify(signed, trusted))
                .isEqualTo(ReleaseSignature.Check.VALID);

        assertThat(ReleaseSignature.verify(release, trusted))
                .isEqualTo(ReleaseSignature.Check.UNSIGNED);
        assertThat(
                        ReleaseSignature.verify(
                                ModelRelease.newBuilder(signed).setSha256("0".repeat(64)).build(),
                                trusted))
                .as("other bytes")
                .isEqualTo(ReleaseSignature.Check.BAD_SIGNATURE);
        assertThat(
                        ReleaseSignature.verify(
                                ModelRelease.newBuilder(signed)
                                        .setPromotable(!signed.getPromotable())
                                        .build(),
                                trusted))
                .as("a refused candidate made promotable")
                .isEqualTo(ReleaseSignature.Check.BAD_SIGNATURE);
        assertThat(
                        ReleaseSignature.verify(
                                ModelRelease.newBuilder(signed)
                                        .setVersion(signed.getVersion() + 1)
                                        .build(),
                                trusted))
                .isEqualTo(ReleaseSignature.Check.BAD_SIGNATURE);
        assertThat(
                        ReleaseSignature.verify(
                                ReleaseSignature.sign(release, other.getPrivate(), "k1"), trusted))
                .as("signed by another key under a trusted id")
                .isEqualTo(ReleaseSignature.Check.BAD_SIGNATURE);
        assertThat(
                        ReleaseSignature.verify(
                                ReleaseSignature.sign(release, other.getPrivate(), "k2"), trusted))
                .isEqualTo(ReleaseSignature.Check.UNKNOWN_KEY);
    }
}
