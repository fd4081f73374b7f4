package dev.tideline.schemas.serde;

/** The payload ends before the header or the Avro body is complete. */
public final class TruncatedPayloadException extends SerdeException {

    private static final long serialVersionUID = 1L;

    private final int length;
    private final int schemaId;

    /**
     * @param schemaId the id from the header, or -1 when even the header is incomplete
     */
    public TruncatedPayloadException(String topic, int length, int schemaId, Throwable cause) {
        super(
                topic,
                schemaId < 0
                        ? "record on topic "
                                + topic
                                + " has "
                                + length
                                + " bytes, fewer than the 5-byte wire-format header"
                        : "record on topic "
                                + topic
                                + " with schema id "
                                + schemaId
                                + " ends after "
                                + length
                                + " bytes, before its Avro body is complete",
                cause);
        this.length = length;
        this.schemaId = schemaId;
    }

    public int length() {
        return length;
    }

    public int schemaId() {
        return schemaId;
    }
}
