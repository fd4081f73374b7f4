package dev.tideline.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tideline train}: runs the training job in a local Flink MiniCluster against the running
 * local stack or the given cluster. On a Flink cluster, submit {@code
 * flink-training/target/tideline-flink-training-job.jar} with {@code flink run} instead.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Run the training job in a local Flink MiniCluster (its own JVM) until Ctrl-C.",
            "Settings: tideline.training.* (see README); the spec defaults to the built-in one."
        })
final class TrainCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path jar = ModuleJvm.TRAINING.requireJar(spec.commandLine().getErr());
        if (jar == null) {
            return 2;
        }
        // The child reads its settings at start; the file goes when this command ends.
        Path settings = Files.createTempFile("tideline-training-", ".properties");
        settings.toFile().deleteOnExit();
        Process child =
                TrainingProcess.start(
                        jar,
                        TrainingProcess.settings(Settings.load(options).engineValues()),
                        settings);
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy, "tideline-train-shutdown"));
        return child.waitFor();
    }
}
