package dev.tideline.cli;

import dev.tideline.ops.ParentWatch;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A module of this build whose code runs in a JVM of its own, from its jar and its {@code lib/}:
 * the training job and its benchmark (on Flink's kafka-clients 4.2.0, where the CLI runs 4.3.1),
 * and the pipeline benchmarks, which the installed command does not carry.
 *
 * @param dir the module's directory under {@code TIDELINE_HOME}
 * @param jar its jar's name under {@code target/}
 * @param logConfig the log4j2 configuration the child selects
 * @param vectorModule whether the child gets {@code jdk.incubator.vector} (the learners' SIMD
 *     kernel; without it they train in scalar loops)
 */
record ModuleJvm(String dir, String jar, String logConfig, boolean vectorModule) {

    static final ModuleJvm TRAINING =
            new ModuleJvm(
                    "flink-training",
                    "tideline-flink-training.jar",
                    "classpath:tideline-training-log4j2.xml",
                    true);
    static final ModuleJvm BENCH_PIPELINE =
            new ModuleJvm(
                    "bench/pipeline",
                    "tideline-bench-pipeline.jar",
                    "classpath:tideline-bench-log4j2.xml",
                    false);
    static final ModuleJvm BENCH_TRAINING =
            new ModuleJvm(
                    "bench/training",
                    "tideline-bench-training.jar",
                    "classpath:tideline-training-log4j2.xml",
                    true);

    /** The built jar, or null when the module has not been built. */
    Path builtJar() {
        String home = System.getenv("TIDELINE_HOME");
        Path target =
                (home == null ? Path.of("").toAbsolutePath() : Path.of(home))
                        .resolve(dir)
                        .resolve("target");
        Path path = target.resolve(jar);
        return Files.isRegularFile(path) && Files.isDirectory(target.resolve("lib")) ? path : null;
    }

    /** The built jar, or null after telling {@code err} how to build it. */
    Path requireJar(PrintWriter err) {
        Path path = builtJar();
        if (path == null) {
            err.println(
                    "tideline: "
                            + dir
                            + " is not built; build it with: mvn -q package -DskipTests -pl "
                            + dir
                            + " -am");
        }
        return path;
    }

    /** Starts {@code mainClass} from the built jar with these arguments; its output is ours. */
    Process start(Path builtJar, String mainClass, List<String> args) throws IOException {
        return start(builtJar, mainClass, args, null);
    }

    /**
     * As {@link #start(Path, String, List)}, its output appended to {@code log} (ours when null).
     */
    Process start(Path builtJar, String mainClass, List<String> args, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (vectorModule) {
            command.add("--add-modules");
            command.add("jdk.incubator.vector");
        }
        command.add("-cp");
        // The JVM expands lib/*: the command line stays short (ONNX Runtime needs that).
        command.add(builtJar + File.pathSeparator + builtJar.resolveSibling("lib") + "/*");
        command.add("-Dlog4j2.configurationFile=" + logConfig);
        // The child stops when this JVM is gone, even after a kill -9 of it.
        command.add("-D" + ParentWatch.PROPERTY + "=" + ProcessHandle.current().pid());
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        if (log == null) {
            builder.inheritIO();
        } else {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        return builder.start();
    }

    /**
     * Runs {@code mainClass} to its end, as a part of this command: stopped with it, its exit code
     * returned; 2 when the module is not built.
     */
    int run(PrintWriter err, String mainClass, List<String> args)
            throws IOException, InterruptedException {
        Path built = requireJar(err);
        if (built == null) {
            return 2;
        }
        Process child = start(built, mainClass, args);
        Thread stop = new Thread(child::destroy, "tideline-child-shutdown");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            return child.waitFor();
        } finally {
            child.destroy();
        }
    }
}
