package dev.tideline.cli;

import picocli.CommandLine.Command;

/** {@code tideline bench}: benchmarks that print one JSON line as their last output. */
@Command(
        name = "bench",
        description = "Benchmarks; each prints one machine-readable JSON line last.",
        subcommands = {
            FeaturesBenchCommand.class,
            ServingBenchCommand.class,
            TrainingBenchCommand.class
        })
final class BenchCommand implements Runnable {

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
