package dev.tideline.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * The small file {@code stack up} writes so that {@code produce} and {@code tail} find the running
 * local stack without flags.
 *
 * @param bootstrap Kafka bootstrap servers
 * @param registry the registry's Confluent-compatible URL
 * @param jdbc the PostgreSQL JDBC URL
 * @param prefix the topic prefix the stack's topics were created with
 * @param pid the process running the stack
 */
record StackState(String bootstrap, String registry, String jdbc, String prefix, long pid) {

    /** {@code $TIDELINE_STATE_DIR/local-stack.properties}, by default under {@code ~/.tideline}. */
    static Path defaultFile() {
        String dir = System.getenv("TIDELINE_STATE_DIR");
        Path base =
                dir != null && !dir.isBlank()
                        ? Path.of(dir)
                        : Path.of(System.getProperty("user.home"), ".tideline");
        return base.resolve("local-stack.properties");
    }

    void write(Path file) {
        Properties props = new Properties();
        props.setProperty("bootstrap", bootstrap);
        props.setProperty("registry", registry);
        props.setProperty("jdbc", jdbc);
        props.setProperty("prefix", prefix);
        props.setProperty("pid", String.valueOf(pid));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "local-stack", ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(out, "written by 'tideline stack up'; deleted when it stops");
            }
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the stack state file " + file, e);
        }
    }

    /** Refuses to start a second local stack beside one the state file names as running. */
    static void refuseIfRunning(Path file) {
        Optional<StackState> running = readLive(file);
        if (running.isPresent()) {
            throw new IllegalStateException(
                    "a local stack is already running (pid "
                            + running.get().pid()
                            + ", bootstrap "
                            + running.get().bootstrap()
                            + "); stop it first, or set TIDELINE_STATE_DIR to run another");
        }
    }

    /** The state of a stack that is still running, if the file names one. */
    static Optional<StackState> readLive(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the stack state file " + file, e);
        }
        long pid = Long.parseLong(props.getProperty("pid", "-1"));
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.of(
                    new StackState(
                            props.getProperty("bootstrap"),
                            props.getProperty("registry"),
                            props.getProperty("jdbc"),
                            props.getProperty("prefix", ""),
                            pid));
        }
        return Optional.empty();
    }
}
