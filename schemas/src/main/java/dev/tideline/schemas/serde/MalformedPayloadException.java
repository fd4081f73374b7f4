package dev.tideline.schemas.serde;

/** The Avro body does not decode with the writer schema its header names. */
public final class MalformedPayloadException extends SerdeException {

    private static final long serialVersionUID = 1L;

    private final int schemaId;

    public MalformedPayloadException(String topic, int schemaId, String reason, Throwable cause) {
        super(
                topic,
                "record on topic "
                        + topic
                        + " with schema id "
                        + schemaId
                        + " is not valid Avro for that schema: "
                        + reason,
                cause);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }
}
