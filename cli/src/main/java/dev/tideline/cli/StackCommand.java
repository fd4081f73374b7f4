package dev.tideline.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tideline stack ...}: the embedded local stack. */
@Command(
        name = "stack",
        mixinStandardHelpOptions = true,
        description = "Run the embedded local stack: Kafka, schema registry, PostgreSQL.",
        subcommands = {StackUpCommand.class})
final class StackCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
