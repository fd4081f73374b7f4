package dev.tideline.localstack;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Cleans up after a stack whose JVM died without running its shutdown hooks ({@code kill -9}).
 *
 * <p>The registry and the PostgreSQL postmaster are separate OS processes; a killed JVM would
 * orphan them and leave its temp directory behind. The reaper is a tiny shell process in its own
 * session that waits for the JVM to disappear, signals every process registered with it, and
 * deletes the stack's directory. A stack that closes normally stops the reaper first.
 */
final class StackReaper implements AutoCloseable {

    private static final long EXIT_TIMEOUT_S = 5;

    private static final String SCRIPT =
            String.join(
                    "\n",
                    "jvm=\"$1\"; root=\"$2\"; pids=\"$root/reap.pids\"",
                    "while kill -0 \"$jvm\" 2>/dev/null; do sleep 1; done",
                    "if [ -f \"$pids\" ]; then",
                    "  while read -r sig pid; do kill -\"$sig\" \"$pid\" 2>/dev/null; done <"
                            + " \"$pids\"",
                    "  i=0",
                    "  while [ $i -lt 40 ]; do",
                    "    alive=0",
                    "    while read -r sig pid; do kill -0 \"$pid\" 2>/dev/null && alive=1; done"
                            + " < \"$pids\"",
                    "    [ $alive = 0 ] && break",
                    "    sleep 0.25; i=$((i+1))",
                    "  done",
                    "  while read -r sig pid; do kill -KILL \"$pid\" 2>/dev/null; done <"
                            + " \"$pids\"",
                    "fi",
                    "rm -rf \"$root\"");

    private final Path pidFile;
    private final Process process;

    private StackReaper(Path pidFile, Process process) {
        this.pidFile = pidFile;
        this.process = process;
    }

    static StackReaper start(Path stackRoot) {
        List<String> command = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            // Its own session: a Ctrl-C or a kill of the JVM's process group does not reach it.
            command.add("/usr/bin/setsid");
        }
        command.addAll(
                List.of(
                        "sh",
                        "-c",
                        SCRIPT,
                        "tideline-stack-reaper",
                        String.valueOf(ProcessHandle.current().pid()),
                        stackRoot.toString()));
        try {
            Process process =
                    new ProcessBuilder(command)
                            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
            return new StackReaper(stackRoot.resolve("reap.pids"), process);
        } catch (IOException e) {
            throw new LocalStackException("cannot start the stack reaper", e);
        }
    }

    /**
     * Registers a process to signal if the JVM dies.
     *
     * @param signal the signal name for a clean stop, such as TERM or INT
     */
    synchronized void register(String signal, long pid) {
        try {
            Files.writeString(
                    pidFile,
                    signal + " " + pid + "\n",
                    StandardCharsets.US_ASCII,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register pid " + pid + " with the reaper", e);
        }
    }

    /** Stops the reaper and returns once it and its children (a sleep, a forked shell) are gone. */
    @Override
    public void close() {
        // setsid forks when it is a process group leader; kill the whole tree to be sure.
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(EXIT_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException e) {
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
