package dev.tideline.cli;

import dev.tideline.features.FeatureSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Starts the training job in its own JVM, in a Flink MiniCluster: the job lives on kafka-clients
 * 4.2.0 and this CLI on 4.3.1, so the two never share a class path. The child runs {@code
 * flink-training/target/tideline-flink-training.jar} with its {@code lib/}.
 */
final class TrainingProcess {

    static final String MAIN = "dev.tideline.training.TrainingMain";
    private static final String PREFIX = "tideline.training.";

    private TrainingProcess() {}

    /** The built job's jar, or null when the module has not been built. */
    static Path jar() {
        String home = System.getenv("TIDELINE_HOME");
        Path module =
                (home == null ? Path.of("").toAbsolutePath() : Path.of(home))
                        .resolve("flink-training")
                        .resolve("target");
        Path jar = module.resolve("tideline-flink-training.jar");
        return Files.isRegularFile(jar) && Files.isDirectory(module.resolve("lib")) ? jar : null;
    }

    /** The built jar, or null after telling {@code err} how to build it. */
    static Path requireJar(java.io.PrintWriter err) {
        Path jar = jar();
        if (jar == null) {
            err.println(
                    "tideline: the training module is not built; build it with: mvn -q package"
                            + " -DskipTests -pl flink-training -am");
        }
        return jar;
    }

    /**
     * The job's settings from the CLI's: connection, topics and {@code tideline.training.*}; the
     * spec's fingerprint and width default to the built-in spec's.
     */
    static Map<String, String> settings(Map<String, String> engineValues) {
        Map<String, String> out = new TreeMap<>();
        engineValues.forEach(
                (k, v) -> {
                    if (k.startsWith(PREFIX)
                            || k.startsWith("tideline.kafka.")
                            || k.startsWith("tideline.registry.")
                            || k.startsWith("tideline.topics.")) {
                        out.put(k, v);
                    }
                });
        FeatureSpec spec = Settings.featureSpec(engineValues);
        out.putIfAbsent(PREFIX + "spec-id", spec.id());
        out.putIfAbsent(PREFIX + "spec-version", String.valueOf(spec.version()));
        out.putIfAbsent(PREFIX + "spec-fingerprint", spec.fingerprint());
        out.putIfAbsent(PREFIX + "input-width", String.valueOf(spec.size()));
        return out;
    }

    /** Starts {@code TrainingMain} with these settings; its output goes where ours does. */
    static Process start(Path jar, Map<String, String> settings) throws IOException {
        List<String> args = new ArrayList<>();
        settings.forEach(
                (k, v) -> {
                    args.add("-D");
                    args.add(k + "=" + v);
                });
        return start(jar, MAIN, args);
    }

    /** Starts a main class of the training module with these arguments. */
    static Process start(Path jar, String mainClass, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The learners' SIMD kernel; without the module they train in scalar loops.
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-cp");
        // The JVM expands lib/*: the command line stays short (ONNX Runtime needs that).
        command.add(jar + File.pathSeparator + jar.resolveSibling("lib") + "/*");
        command.add("-Dlog4j2.configurationFile=classpath:tideline-training-log4j2.xml");
        command.add(mainClass);
        command.addAll(args);
        return new ProcessBuilder(command).inheritIO().start();
    }
}
