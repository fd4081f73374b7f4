package dev.tideline.training.io;

/**
 * A feature vector as serving saw it, reduced to what training needs: the transaction, when it
 * happened, the spec it was computed with and its values. A Flink POJO.
 */
public final class ServedVector {

    public String txnId;
    public String entityId;
    public long eventTimeMs;
    public String specId;
    public int specVersion;
    public String specFingerprint;
    public float[] values;

    public ServedVector() {}

    public ServedVector(
            String txnId,
            String entityId,
            long eventTimeMs,
            String specId,
            int specVersion,
            String specFingerprint,
            float[] values) {
        this.txnId = txnId;
        this.entityId = entityId;
        this.eventTimeMs = eventTimeMs;
        this.specId = specId;
        this.specVersion = specVersion;
        this.specFingerprint = specFingerprint;
        this.values = values;
    }
}
