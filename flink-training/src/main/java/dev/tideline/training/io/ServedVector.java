package dev.tideline.training.io;

/**
 * A feature vector as serving saw it, reduced to what training needs: the transaction, when it
 * happened and its values. Vectors of other specs never get this far (the job trains one spec), so
 * the spec is not repeated in every record shuffled. A Flink POJO.
 */
public final class ServedVector {

    public String txnId;
    public long eventTimeMs;
    public float[] values;

    public ServedVector() {}

    public ServedVector(String txnId, long eventTimeMs, float[] values) {
        this.txnId = txnId;
        this.eventTimeMs = eventTimeMs;
        this.values = values;
    }
}
