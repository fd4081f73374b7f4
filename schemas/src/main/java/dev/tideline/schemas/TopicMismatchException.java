package dev.tideline.schemas;

/** An existing topic differs from the catalog in a way the pipeline cannot run with. */
public final class TopicMismatchException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public TopicMismatchException(String message) {
        super(message);
    }
}
