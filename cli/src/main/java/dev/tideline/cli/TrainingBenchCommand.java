package dev.tideline.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench training}: runs the training module's benchmark in its own JVM. The Flink
 * job lives on kafka-clients 4.2.0 and this CLI on 4.3.1, so the two never share a class path: the
 * child runs {@code flink-training/target/tideline-flink-training.jar} with its {@code lib/}.
 */
@Command(
        name = "training",
        description =
                "Benchmark the training job against a Flink pass-through, and the learner against"
                        + " a plain SGD loop; prints one JSON line last.")
final class TrainingBenchCommand implements Callable<Integer> {

    static final String MAIN = "dev.tideline.training.bench.TrainingBench";

    @Option(names = "--examples", description = "Labelled vectors (default: ${DEFAULT-VALUE}).")
    int examples = 300_000;

    @Option(names = "--parallelism", description = "Learners (default: ${DEFAULT-VALUE}).")
    int parallelism = 2;

    @Option(names = "--width", description = "Features per vector (default: 24).")
    Integer width;

    @Option(
            names = "--rounds",
            description = "Rounds of the jobs side by side; medians are reported (default: 3).")
    Integer rounds;

    @Option(
            names = "--checkpoint-interval-ms",
            description = "Checkpoint interval of both jobs (default: 1000).")
    Long checkpointMs;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path jar = TrainingProcess.requireJar(spec.commandLine().getErr());
        if (jar == null) {
            return 2;
        }
        Process child = TrainingProcess.start(jar, MAIN, arguments());
        try {
            return child.waitFor();
        } finally {
            child.destroy();
        }
    }

    /** The options as the benchmark takes them; those not given keep the benchmark's defaults. */
    private List<String> arguments() {
        List<String> args = new ArrayList<>();
        args.add("--examples=" + examples);
        args.add("--parallelism=" + parallelism);
        if (width != null) {
            args.add("--width=" + width);
        }
        if (rounds != null) {
            args.add("--rounds=" + rounds);
        }
        if (checkpointMs != null) {
            args.add("--checkpoint-interval-ms=" + checkpointMs);
        }
        return args;
    }
}
