package dev.tideline.ops;

/** A running engine: it stops by itself (its exit code says how) or when closed. */
public interface Engine extends AutoCloseable {

    /** Blocks until the engine has stopped by itself; the exit code of its process. */
    int awaitExit() throws InterruptedException;

    /** Stops the engine; safe to call more than once. */
    @Override
    void close();
}
