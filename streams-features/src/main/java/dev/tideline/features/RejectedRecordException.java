package dev.tideline.features;

/**
 * An input record the feature stage will not process: it goes to the dead-letter topic with its
 * reason, and processing continues. Expected in normal operation, so it carries no stack trace.
 */
public final class RejectedRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Reasons, as written to the {@code tideline.dlq.reason} header. */
    public static final String MISSING_VALUE = "missing-value";

    public static final String KEY_MISMATCH = "key-mismatch";
    public static final String MISSING_FIELD = "missing-field";
    public static final String INVALID_AMOUNT = "invalid-amount";
    public static final String AMOUNT_OUT_OF_RANGE = "amount-out-of-range";
    public static final String UNKNOWN_CURRENCY = "unknown-currency";
    public static final String INVALID_EVENT_TIME = "invalid-event-time";
    public static final String LATE = "late";
    public static final String FUTURE_EVENT_TIME = "future-event-time";
    public static final String RECORD_TOO_LARGE = "record-too-large";
    public static final String NON_FINITE_FEATURE = "non-finite-feature";

    private final String reason;

    public RejectedRecordException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
