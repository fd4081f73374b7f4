package dev.tideline.schemas.registry;

/** The registry has no such schema id, subject, or schema under a subject. */
public final class SchemaNotFoundException extends SchemaRegistryException {

    private static final long serialVersionUID = 1L;

    /** Confluent error code: the subject does not exist. */
    public static final int SUBJECT_NOT_FOUND = 40401;

    /** Confluent error code: the version does not exist. */
    public static final int VERSION_NOT_FOUND = 40402;

    /** Confluent error code: the schema (by id, or under a subject) does not exist. */
    public static final int SCHEMA_NOT_FOUND = 40403;

    public SchemaNotFoundException(String message, int errorCode) {
        super(message, 404, errorCode, null);
    }
}
