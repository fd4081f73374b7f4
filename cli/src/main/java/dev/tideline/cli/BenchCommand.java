package dev.tideline.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code tideline bench}: benchmarks that print one JSON line as their last output. The engines'
 * benchmarks live in the {@code bench/} modules, not in this command: each of those subcommands
 * runs its benchmark in a JVM of its own with the options as given ({@code --help} lists them).
 * {@code bench e2e} and {@code bench quality} run the demo's whole pipeline, which this command
 * assembles, in this JVM.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Benchmarks; each prints one machine-readable JSON line last.",
            "'tideline bench COMMAND --help' lists a benchmark's options."
        },
        subcommands = {
            E2eBench.class,
            QualityBench.class,
            BenchCommand.Features.class,
            BenchCommand.Eviction.class,
            BenchCommand.Serving.class,
            BenchCommand.Training.class,
            BenchCommand.Replay.class
        })
final class BenchCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A benchmark: its options and arguments go to it unread. */
    abstract static class Forwarded implements Callable<Integer> {

        @Unmatched List<String> arguments = new ArrayList<>();

        @Spec CommandSpec spec;

        private final ModuleJvm module;
        private final String mainClass;
        private final List<String> command;

        Forwarded(ModuleJvm module, String mainClass, List<String> command) {
            this.module = module;
            this.mainClass = mainClass;
            this.command = command;
        }

        @Override
        public Integer call() throws Exception {
            List<String> args = new ArrayList<>(command);
            args.addAll(arguments);
            return module.run(spec.commandLine().getErr(), mainClass, args);
        }
    }

    @Command(
            name = "features",
            description =
                    "The feature stage against a Kafka Streams pass-through, and the tile code"
                            + " under JMH; prints one JSON line last.")
    static final class Features extends Forwarded {
        Features() {
            super(ModuleJvm.BENCH_PIPELINE, "dev.tideline.bench.Bench", List.of("features"));
        }
    }

    @Command(
            name = "eviction",
            description =
                    "The stall an eviction run puts on a stream thread whose store holds a million"
                            + " entities, beside a full scan of that store; prints one JSON line"
                            + " last.")
    static final class Eviction extends Forwarded {
        Eviction() {
            super(ModuleJvm.BENCH_PIPELINE, "dev.tideline.bench.Bench", List.of("eviction"));
        }
    }

    @Command(
            name = "serving",
            description =
                    "A scoring replica against a consume-produce pass-through and bare ONNX"
                            + " Runtime, latency at a fixed rate and during model swaps; prints one"
                            + " JSON line last.")
    static final class Serving extends Forwarded {
        Serving() {
            super(ModuleJvm.BENCH_PIPELINE, "dev.tideline.bench.Bench", List.of("serving"));
        }
    }

    @Command(
            name = "training",
            description =
                    "The training job against a Flink pass-through, and the learner against a"
                            + " plain SGD loop under JMH; prints one JSON line last.")
    static final class Training extends Forwarded {
        Training() {
            super(ModuleJvm.BENCH_TRAINING, "dev.tideline.bench.training.TrainingBench", List.of());
        }
    }

    @Command(
            name = "replay",
            description =
                    "The learners replayed offline over a bench quality --dump, under the job's"
                            + " settings or others; prints one JSON line last.")
    static final class Replay extends Forwarded {
        Replay() {
            super(ModuleJvm.BENCH_TRAINING, "dev.tideline.bench.training.LearnerReplay", List.of());
        }
    }
}
