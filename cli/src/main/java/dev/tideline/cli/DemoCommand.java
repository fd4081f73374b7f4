package dev.tideline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code tideline demo}: everything on the embedded default in one JVM: the local stack with the
 * pipeline's topics, and the engines built so far (the feature stage); the others join as they are
 * built.
 */
@Command(
        name = "demo",
        description = {
            "Run Tideline on the embedded default in one JVM (no Docker).",
            "Starts the local stack with every pipeline topic, like 'stack up', the feature"
                    + " stage (read API on tideline.features.http.port, default 7070), a scoring"
                    + " replica (health on tideline.serving.http.port, default 7072) and the"
                    + " embedded CDC runner on the stack's PostgreSQL (health on"
                    + " tideline.cdc.http.port, default 7071)."
        })
final class DemoCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return StackUpCommand.run(options, spec.commandLine().getOut(), true);
    }
}
