package dev.tideline.training.io;

/**
 * A fraud label from {@code cdc.labels}, with where it came from and its bytes, so a label that
 * cannot be used is dead-lettered as it arrived. A Flink POJO.
 */
public final class LabelEvent {

    public String txnId;
    public boolean fraud;
    public long reportedAtMs;
    public SourceRecord source;

    public LabelEvent() {}

    public LabelEvent(String txnId, boolean fraud, long reportedAtMs, SourceRecord source) {
        this.txnId = txnId;
        this.fraud = fraud;
        this.reportedAtMs = reportedAtMs;
        this.source = source;
    }
}
