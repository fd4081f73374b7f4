package dev.tideline.schemas.serde;

/** The payload names a schema id the registry does not have. */
public final class UnknownSchemaIdException extends SerdeException {

    private static final long serialVersionUID = 1L;

    private final int schemaId;

    public UnknownSchemaIdException(String topic, int schemaId, Throwable cause) {
        super(
                topic,
                "record on topic "
                        + topic
                        + " names schema id "
                        + schemaId
                        + ", which the registry does not know; was it written against another"
                        + " registry?",
                cause);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }
}
