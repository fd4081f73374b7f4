package dev.tideline.schemas.registry;

/**
 * The schema registry refused a request or could not be reached. Not a bad record: the caller is
 * misconfigured (fatal) or the registry is unavailable (retried already, then given up).
 */
public class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        this(message, -1, -1, cause);
    }

    /** The HTTP status, or -1 when no response arrived. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code}, or -1 when it gave none. */
    public int errorCode() {
        return errorCode;
    }
}
