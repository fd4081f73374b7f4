package dev.tideline.cli;

import picocli.CommandLine.Command;

/** {@code tideline stack ...}: the embedded local stack. */
@Command(
        name = "stack",
        description = "Run the embedded local stack: Kafka, schema registry, PostgreSQL.",
        subcommands = {StackUpCommand.class})
final class StackCommand implements Runnable {

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
