package dev.tideline.schemas.model;

import dev.tideline.schemas.avro.ModelRelease;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;

/**
 * Ed25519 signatures of model releases: the training job signs what identifies a release and its
 * bytes (model name, version, the bytes' SHA-256, spec fingerprint, input width and whether it is
 * promotable), and serving verifies them against the public keys it trusts before any other gate.
 * Since the digest is signed, the model bytes are covered, inline or fetched from an artifact
 * store. Keys are PEM files as {@code openssl genpkey -algorithm ed25519} writes them.
 */
public final class ReleaseSignature {

    private static final String ALGORITHM = "Ed25519";

    private ReleaseSignature() {}

    /** How a release's signature checks out against the trusted keys. */
    public enum Check {
        VALID("valid"),
        /** It carries no signature. */
        UNSIGNED("unsigned"),
        /** Signed with a key id no trusted key has. */
        UNKNOWN_KEY("unknown-key"),
        /** The named key's signature does not match what it signs: tampered, or signed wrongly. */
        BAD_SIGNATURE("bad-signature");

        private final String label;

        Check(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The bytes that are signed. */
    public static byte[] payload(ModelRelease r) {
        return String.join(
                        "\n",
                        "tideline-model-release-v1",
                        r.getModelName(),
                        Long.toString(r.getVersion()),
                        r.getSha256(),
                        r.getSpecFingerprint(),
                        Integer.toString(r.getInputWidth()),
                        Boolean.toString(r.getPromotable()))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** {@code release}, signed with {@code key} under {@code keyId}. */
    public static ModelRelease sign(ModelRelease release, PrivateKey key, String keyId) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(payload(release));
            return ModelRelease.newBuilder(release)
                    .setSigningKeyId(keyId)
                    .setSignature(ByteBuffer.wrap(s.sign()))
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with key " + keyId + ": " + e, e);
        }
    }

    /** Checks {@code release}'s signature against {@code trusted} public keys, by key id. */
    public static Check verify(ModelRelease release, Map<String, PublicKey> trusted) {
        if (release.getSignature() == null || release.getSigningKeyId() == null) {
            return Check.UNSIGNED;
        }
        PublicKey key = trusted.get(release.getSigningKeyId());
        if (key == null) {
            return Check.UNKNOWN_KEY;
        }
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(payload(release));
            ByteBuffer sig = release.getSignature().duplicate();
            byte[] bytes = new byte[sig.remaining()];
            sig.get(bytes);
            return s.verify(bytes) ? Check.VALID : Check.BAD_SIGNATURE;
        } catch (GeneralSecurityException e) {
            return Check.BAD_SIGNATURE;
        }
    }

    /** An Ed25519 private key from a PKCS#8 PEM file. */
    public static PrivateKey privateKey(Path pem) {
        try {
            return KeyFactory.getInstance(ALGORITHM)
                    .generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + " is not an Ed25519 private key: " + e, e);
        }
    }

    /** An Ed25519 public key from an X.509 PEM file. */
    public static PublicKey publicKey(Path pem) {
        try {
            return KeyFactory.getInstance(ALGORITHM)
                    .generatePublic(new X509EncodedKeySpec(der(pem, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + " is not an Ed25519 public key: " + e, e);
        }
    }

    /** {@code der} as a PEM block of {@code type} ({@code PRIVATE KEY}, {@code PUBLIC KEY}). */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN "
                + type
                + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END "
                + type
                + "-----\n";
    }

    private static byte[] der(Path pem, String type) {
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read key " + pem, e);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(pem + " holds no PEM block " + begin);
        }
        return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    }
}
