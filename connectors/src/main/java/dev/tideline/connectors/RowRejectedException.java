package dev.tideline.connectors;

/** A captured row the contract cannot carry; it goes to cdc.dlq with its reason. */
final class RowRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Reasons, as written to the {@code tideline.dlq.reason} header. */
    static final String MISSING_VALUE = "missing-value";

    static final String INVALID_VALUE = "invalid-value";

    private final String reason;

    RowRejectedException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
