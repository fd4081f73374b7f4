package dev.tideline.training.io;

/**
 * A record the job could not use, on its way to the source topic's dead-letter topic with the
 * reason (the {@code tideline.dlq.*} headers). A Flink POJO.
 */
public final class Rejected {

    public SourceRecord source;
    public String reason;
    public String errorClass;
    public String message;

    public Rejected() {}

    public Rejected(SourceRecord source, String reason, String errorClass, String message) {
        this.source = source;
        this.reason = reason;
        this.errorClass = errorClass;
        this.message = message;
    }

    /** A record rejected because of an error, named by its class and message. */
    public static Rejected because(SourceRecord source, String reason, Throwable error) {
        return new Rejected(source, reason, error.getClass().getName(), error.getMessage());
    }
}
