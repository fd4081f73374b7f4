package dev.tideline.testkit;

import dev.tideline.localstack.JvmProcess;
import dev.tideline.localstack.junit.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts an engine's {@code main} in a JVM of its own, on this test JVM's class path, as it runs in
 * production, so that a test can kill it with SIGKILL ({@link Process#destroyForcibly}). Settings
 * are passed as {@code -D key=value} arguments; output goes to a log file.
 */
public final class ChildJvm {

    private ChildJvm() {}

    /** Where child logs go: {@code target/child-logs} of the module under test. */
    public static Path logFile(TestNamespace ns, String name) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "child-logs"));
        return dir.resolve(ns.prefix() + name);
    }

    /**
     * Starts {@code mainClass} with {@code settings} and a {@code maxHeap} such as {@code 256m}.
     * The class path goes in an argument file: ONNX Runtime 1.29 crashes creating its environment
     * in a process whose command line is longer than about 4 KiB.
     */
    public static Process start(
            Class<?> mainClass, Map<String, String> settings, String maxHeap, Path log)
            throws IOException {
        return start(mainClass, settings, maxHeap, log, List.of());
    }

    /**
     * Starts {@code mainClass} (by name: a class of this class path that a test does not link
     * against, such as Kafka's {@code kafka.Kafka}) with plain program arguments. Output is
     * appended to {@code log}, so a process started again adds to its first run's log.
     */
    public static Process startMain(
            String mainClass, List<String> args, String maxHeap, Path log, List<String> jvmOptions)
            throws IOException {
        return JvmProcess.start(mainClass, args, maxHeap, log, jvmOptions);
    }

    /** As {@link #start(Class, Map, String, Path)}, with more JVM options ({@code -Dkey=value}). */
    public static Process start(
            Class<?> mainClass,
            Map<String, String> settings,
            String maxHeap,
            Path log,
            List<String> jvmOptions)
            throws IOException {
        return JvmProcess.startEngine(mainClass, settings, maxHeap, log, jvmOptions);
    }
}
