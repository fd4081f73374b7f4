package dev.tideline.schemas.json;

/** A JSON document does not fit an Avro schema; the message starts with the JSON path. */
public final class JsonAvroException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String path;

    public JsonAvroException(String path, String message) {
        super(path + ": " + message);
        this.path = path;
    }

    /** Where in the document the problem is, for example {@code $.amount_minor}. */
    public String path() {
        return path;
    }
}
