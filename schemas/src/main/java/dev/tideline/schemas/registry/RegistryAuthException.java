package dev.tideline.schemas.registry;

/** The registry rejected the credentials (401) or the operation (403): fatal, never retried. */
public final class RegistryAuthException extends SchemaRegistryException {

    private static final long serialVersionUID = 1L;

    public RegistryAuthException(String message, int status, int errorCode) {
        super(message, status, errorCode, null);
    }
}
