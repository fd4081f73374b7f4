package dev.tideline.serving;

/** A model that cannot serve: it does not load, or its inputs and outputs do not fit the spec. */
public final class ModelLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
