package dev.tideline.schemas.serde;

/** The writer schema of a record cannot be read as the reader's schema (Avro resolution rules). */
public final class SchemaResolutionException extends SerdeException {

    private static final long serialVersionUID = 1L;

    private final int schemaId;

    public SchemaResolutionException(String topic, int schemaId, String readerName, String reason) {
        super(
                topic,
                "record on topic "
                        + topic
                        + " was written with schema id "
                        + schemaId
                        + ", which cannot be read as "
                        + readerName
                        + ": "
                        + reason,
                null);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }
}
