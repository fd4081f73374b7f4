package dev.tideline.schemas.serde;

/**
 * A record cannot be written or read in the Confluent wire format. A bad record, not an outage:
 * stages send it to a dead-letter topic with the exception's class and message as the reason and
 * carry on.
 */
public class SerdeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String topic;

    public SerdeException(String topic, String message, Throwable cause) {
        super(message, cause);
        this.topic = topic;
    }

    /** The topic the record was written to or read from. */
    public String topic() {
        return topic;
    }
}
