package dev.tideline.serving;

import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.Canary;
import dev.tideline.schemas.model.Digests;
import dev.tideline.schemas.model.ReleaseSignature;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.PublicKey;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates a model release before serving swaps to it. A refused release leaves the current model
 * in place; the refusal names the gate and why.
 */
public final class ModelGates {

    private static final Logger log = LoggerFactory.getLogger(ModelGates.class);

    private final String specFingerprint;
    private final int width;
    private final ScoringOptions options;
    private final ArtifactFetcher artifacts;
    private final Map<String, PublicKey> trusted;

    /** Gates for releases that carry their bytes inline; a release with only a URI is refused. */
    public ModelGates(String specFingerprint, int width, ScoringOptions options) {
        this(specFingerprint, width, options, null);
    }

    /**
     * @param specFingerprint the fingerprint of the feature vectors being scored
     * @param width their number of values
     * @param artifacts fetches the bytes of releases that point to an artifact URI; null to refuse
     *     those
     */
    public ModelGates(
            String specFingerprint, int width, ScoringOptions options, ArtifactFetcher artifacts) {
        this(specFingerprint, width, options, artifacts, Map.of());
    }

    /**
     * @param trusted the public keys, by key id, one of which must have signed a release before any
     *     other gate looks at it; empty to take unsigned releases
     */
    public ModelGates(
            String specFingerprint,
            int width,
            ScoringOptions options,
            ArtifactFetcher artifacts,
            Map<String, PublicKey> trusted) {
        this.specFingerprint = specFingerprint;
        this.width = width;
        this.options = options;
        this.artifacts = artifacts;
        this.trusted = Map.copyOf(trusted);
    }

    /** The outcome: a loaded scorer, or the gate that refused the release. */
    public sealed interface Verdict {}

    /** Every gate passed; the caller owns the scorer. */
    public record Accepted(OnnxScorer scorer) implements Verdict {}

    /**
     * A gate refused the release; {@code retryable} when the same release may pass later (its
     * artifact store was unreachable).
     */
    public record Refused(Gate gate, String reason, boolean retryable) implements Verdict {
        public Refused(Gate gate, String reason) {
            this(gate, reason, false);
        }
    }

    public Verdict check(ModelRelease release) {
        String model = release.getModelName() + " v" + release.getVersion();
        Refused refused = checkMetadata(model, release);
        if (refused != null) {
            return refuse(model, refused);
        }
        byte[] onnx;
        if (release.getOnnx() != null) {
            onnx = toArray(release.getOnnx());
        } else {
            try {
                onnx = artifacts.fetch(release.getArtifactUri());
            } catch (ArtifactFetcher.FetchException e) {
                return refuse(model, new Refused(Gate.FETCH, e.getMessage(), e.retryable()));
            }
        }
        String digest = Digests.sha256(onnx);
        if (!digest.equals(release.getSha256())) {
            return refuse(
                    model,
                    new Refused(
                            Gate.DIGEST,
                            model
                                    + ": bytes hash to "
                                    + digest
                                    + ", the release says "
                                    + release.getSha256()));
        }
        OnnxScorer scorer;
        try {
            scorer = OnnxScorer.load(model, onnx, width, options);
        } catch (ModelLoadException e) {
            return refuse(model, new Refused(Gate.LOAD, e.getMessage()));
        }
        String canary = canary(scorer);
        if (canary != null) {
            scorer.retire();
            return refuse(model, new Refused(Gate.CANARY, canary));
        }
        return new Accepted(scorer);
    }

    private Refused checkMetadata(String model, ModelRelease release) {
        if (!trusted.isEmpty()) {
            ReleaseSignature.Check check = ReleaseSignature.verify(release, trusted);
            switch (check) {
                case VALID -> {}
                case UNSIGNED -> {
                    return new Refused(Gate.UNSIGNED, model + " is not signed");
                }
                case UNKNOWN_KEY -> {
                    return new Refused(
                            Gate.UNKNOWN_KEY,
                            model
                                    + " is signed with key "
                                    + release.getSigningKeyId()
                                    + ", not one of the trusted "
                                    + new java.util.TreeSet<>(trusted.keySet()));
                }
                case BAD_SIGNATURE -> {
                    return new Refused(
                            Gate.BAD_SIGNATURE,
                            model
                                    + "'s signature does not verify with key "
                                    + release.getSigningKeyId()
                                    + ": tampered, or signed with another key");
                }
            }
        }
        if (!release.getPromotable()) {
            return new Refused(Gate.NOT_PROMOTABLE, model + " is flagged not for promotion");
        }
        if (release.getOnnx() == null && release.getArtifactUri() == null) {
            return new Refused(Gate.NO_ARTIFACT, model + " has neither bytes nor an artifact URI");
        }
        if (release.getOnnx() == null && artifacts == null) {
            return new Refused(
                    Gate.NO_ARTIFACT,
                    model
                            + " points to "
                            + release.getArtifactUri()
                            + " and this replica fetches no artifacts");
        }
        if (!specFingerprint.equals(release.getSpecFingerprint())) {
            return new Refused(
                    Gate.SPEC_FINGERPRINT,
                    model
                            + " was trained on spec "
                            + release.getSpecId()
                            + " v"
                            + release.getSpecVersion()
                            + " ("
                            + release.getSpecFingerprint()
                            + "), vectors are "
                            + specFingerprint);
        }
        if (release.getInputWidth() != width) {
            return new Refused(
                    Gate.INPUT_WIDTH,
                    model
                            + " takes "
                            + release.getInputWidth()
                            + " features, the spec has "
                            + width);
        }
        return null;
    }

    /** Scores serving's canary batch ({@link Canary}); null when it is sound. */
    String canary(OnnxScorer scorer) {
        FloatBuffer batch =
                ByteBuffer.allocateDirect(4 * Canary.ROWS * width)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer()
                        .put(Canary.batch(width))
                        .rewind();
        try {
            return Canary.problem(scorer.score(batch, Canary.ROWS), Canary.ROWS)
                    .map(problem -> scorer.name() + ": " + problem)
                    .orElse(null);
        } catch (Exception e) {
            return scorer.name() + ": canary batch failed: " + e.getMessage();
        }
    }

    private static Verdict refuse(String model, Refused refused) {
        log.warn(
                "Refusing model {} at gate {}{}: {}",
                model,
                refused.gate().label(),
                refused.retryable() ? " (will retry)" : "",
                refused.reason());
        return refused;
    }

    private static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
