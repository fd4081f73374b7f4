package dev.tideline.schemas.registry;

/** The registry refused to register a schema under a subject because it breaks compatibility. */
public final class IncompatibleSchemaException extends SchemaRegistryException {

    private static final long serialVersionUID = 1L;

    private final String subject;

    public IncompatibleSchemaException(String subject, String message, int errorCode) {
        super(message, 409, errorCode, null);
        this.subject = subject;
    }

    public String subject() {
        return subject;
    }
}
