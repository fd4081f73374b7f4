package dev.tideline.schemas.serde;

/** A record to be written does not satisfy its own schema (a required field is null, say). */
public final class InvalidRecordException extends SerdeException {

    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String topic, String recordName, String reason, Throwable cause) {
        super(topic, "cannot write " + recordName + " to topic " + topic + ": " + reason, cause);
    }
}
