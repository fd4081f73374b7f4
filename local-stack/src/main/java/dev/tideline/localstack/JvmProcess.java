package dev.tideline.localstack;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code main} of this JVM's class path run in a JVM of its own, as the stack's parts run in
 * production, so that it can be killed with SIGKILL, paused with SIGSTOP and started again: what
 * the multi-process cluster and the chaos runs do to brokers and engines.
 */
public final class JvmProcess {

    private JvmProcess() {}

    /**
     * Starts {@code mainClass} with {@code args}, a {@code maxHeap} such as {@code 256m} and more
     * JVM options. Output is appended to {@code log}, so a process started again adds to its first
     * run's log. The class path goes in an argument file beside the log: ONNX Runtime 1.29 crashes
     * creating its environment in a process whose command line is longer than about 4 KiB.
     */
    public static Process start(
            String mainClass, List<String> args, String maxHeap, Path log, List<String> jvmOptions)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path argFile = log.resolveSibling(log.getFileName() + ".args");
        Files.writeString(argFile, "-cp \"" + System.getProperty("java.class.path") + "\"\n");
        command.add("@" + argFile.toAbsolutePath());
        command.add("-Xmx" + maxHeap);
        String logConfig = System.getProperty("log4j2.configurationFile");
        if (logConfig != null) {
            command.add("-Dlog4j2.configurationFile=" + logConfig);
        }
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(args);
        return new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /**
     * Starts an engine's {@code main} with its settings as {@code -D key=value} arguments, as the
     * engines' command lines take them (see {@link #start(String, List, String, Path, List)}).
     */
    public static Process startEngine(
            Class<?> mainClass,
            Map<String, String> settings,
            String maxHeap,
            Path log,
            List<String> jvmOptions)
            throws IOException {
        List<String> args = new ArrayList<>();
        settings.forEach(
                (k, v) -> {
                    args.add("-D");
                    args.add(k + "=" + v);
                });
        return start(mainClass.getName(), args, maxHeap, log, jvmOptions);
    }

    /** Sends {@code signal} (STOP, CONT, ...) to {@code process}; throws if kill(1) fails. */
    public static void signal(Process process, String signal)
            throws IOException, InterruptedException {
        Process kill =
                new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
                        .inheritIO()
                        .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " of " + process.pid() + " failed");
        }
    }

    /** SIGKILL; returns once the process is gone (or after 30 s). */
    public static void kill(Process process) throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
