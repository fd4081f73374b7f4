package dev.tideline.bench;

import dev.tideline.ops.ParentWatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The benchmarks behind {@code tideline bench} that run on the pipeline's own Kafka clients: each
 * starts what it measures in this JVM and prints one JSON line last. The CLI starts this JVM;
 * {@code bench training} has a JVM of its own, on Flink's Kafka clients.
 */
@Command(
        name = "tideline bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks; each prints one machine-readable JSON line last.",
        subcommands = {FeaturesBench.class, EvictionBench.class, ServingBench.class})
public final class Bench implements Runnable {

    @Spec CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:tideline-bench-log4j2.xml");
        }
        ParentWatch.start();
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
