package dev.tideline.ops;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a child process when the process that started it is gone, even if that one was killed with
 * SIGKILL and could not stop its children: the launcher passes its pid as {@value #PROPERTY}, and
 * the child exits (running its shutdown hooks) once that process has exited.
 */
public final class ParentWatch {

    /** The system property naming the parent's pid. */
    public static final String PROPERTY = "tideline.parent-pid";

    private static final Logger log = LoggerFactory.getLogger(ParentWatch.class);

    private ParentWatch() {}

    /** Watches the parent named by {@value #PROPERTY}, if any; does nothing otherwise. */
    public static void start() {
        String pid = System.getProperty(PROPERTY);
        if (pid == null || pid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> parent;
        try {
            parent = ProcessHandle.of(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " is not a pid: " + pid, e);
        }
        if (parent.isEmpty()) {
            log.warn("Parent process {} is already gone; stopping", pid);
            System.exit(1);
        }
        parent.get()
                .onExit()
                .thenRun(
                        () -> {
                            log.warn("Parent process {} is gone; stopping", pid);
                            System.exit(1);
                        });
    }
}
