package dev.tideline.training.io;

/**
 * A training example: the values served for a transaction and whether it turned out fraudulent (a
 * fraud label within the maturity period) or not (a clean label, or none by maturity). A Flink
 * POJO.
 */
public final class Example {

    public String txnId;
    public float[] values;
    public boolean fraud;
    public long eventTimeMs;

    public Example() {}

    public Example(String txnId, float[] values, boolean fraud, long eventTimeMs) {
        this.txnId = txnId;
        this.values = values;
        this.fraud = fraud;
        this.eventTimeMs = eventTimeMs;
    }
}
