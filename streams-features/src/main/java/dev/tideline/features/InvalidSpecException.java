package dev.tideline.features;

/** A feature spec that cannot be used; the message names the bad entry. */
public final class InvalidSpecException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidSpecException(String message) {
        super(message);
    }

    public InvalidSpecException(String message, Throwable cause) {
        super(message, cause);
    }
}
