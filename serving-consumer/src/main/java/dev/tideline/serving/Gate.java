package dev.tideline.serving;

/** The checks a model release must pass before it scores anything, in the order they run. */
public enum Gate {
    /** With trusted keys configured: the release carries no signature. */
    UNSIGNED("unsigned"),
    /** With trusted keys configured: it is signed with a key id none of them has. */
    UNKNOWN_KEY("unknown-key"),
    /** Its signature does not match what it signs: tampered, or signed with another key. */
    BAD_SIGNATURE("bad-signature"),
    /** Releases flagged not-for-promotion by training are never used. */
    NOT_PROMOTABLE("not-promotable"),
    /** The release carries neither model bytes nor an artifact URI. */
    NO_ARTIFACT("no-artifact"),
    /** The artifact URI could be fetched (through the circuit breaker). */
    FETCH("fetch"),
    /** SHA-256 of the bytes equals the release's digest. */
    DIGEST("digest"),
    /** The release was trained on the spec whose vectors are being scored. */
    SPEC_FINGERPRINT("spec-fingerprint"),
    /** The declared input width is the spec's. */
    INPUT_WIDTH("input-width"),
    /** ONNX Runtime loads it and its input and output fit [batch, width] → one score per row. */
    LOAD("load"),
    /** A canary batch scores without NaN or infinity, inside [0, 1]. */
    CANARY("canary"),
    /** In shadow mode: it scored its shadow vectors without an error or a bad score. */
    SHADOW("shadow"),
    /** In shadow mode: it disagreed with the model in service on no more than the share allowed. */
    SHADOW_DISAGREEMENT("shadow-disagreement");

    private final String label;

    Gate(String label) {
        this.label = label;
    }

    /** The name used in logs and metrics. */
    public String label() {
        return label;
    }
}
