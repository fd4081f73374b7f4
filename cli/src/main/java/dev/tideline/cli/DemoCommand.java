package dev.tideline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code tideline demo}: everything on the embedded default: the local stack with the pipeline's
 * topics, the feature stage, a scoring replica and the CDC runner in this JVM, and the training job
 * in a Flink MiniCluster in a JVM of its own (its Kafka clients differ from the CLI's).
 */
@Command(
        name = "demo",
        description = {
            "Run Tideline on the embedded default (no Docker).",
            "Starts the local stack with every pipeline topic, like 'stack up', the feature"
                    + " stage (read API on tideline.features.http.port, default 7070), a scoring"
                    + " replica (health on tideline.serving.http.port, default 7072) and the"
                    + " embedded CDC runner on the stack's PostgreSQL (health on"
                    + " tideline.cdc.http.port, default 7071), and the training job in a Flink"
                    + " MiniCluster in its own JVM (health and metrics on"
                    + " tideline.training.http.port, default 7073; labels mature after"
                    + " tideline.training.maturity-ms, two minutes here)."
        })
final class DemoCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return StackUpCommand.run(options, spec.commandLine().getOut(), true);
    }
}
