package dev.tideline.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code tideline train}: runs the training job in a local Flink MiniCluster against the running
 * local stack or the given cluster. On a Flink cluster, submit {@code
 * flink-training/target/tideline-flink-training-job.jar} with {@code flink run} instead.
 */
@Command(
        name = "train",
        description = {
            "Run the training job in a local Flink MiniCluster (its own JVM) until Ctrl-C.",
            "Settings: tideline.training.* (see README); the spec defaults to the built-in one."
        })
final class TrainCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path jar = TrainingProcess.requireJar(spec.commandLine().getErr());
        if (jar == null) {
            return 2;
        }
        Map<String, String> settings =
                TrainingProcess.settings(Settings.load(options).engineValues());
        // A MiniCluster without a checkpoint directory keeps checkpoints in the JobManager's
        // memory, which refuses state over 5 MB: a few tens of thousands of pending transactions.
        String group =
                settings.getOrDefault(TrainingProcess.PREFIX + "group-id", "tideline-training");
        settings.putIfAbsent(
                TrainingProcess.PREFIX + "checkpoint-dir",
                Path.of(System.getProperty("java.io.tmpdir"), "tideline-training", group)
                        .toUri()
                        .toString());
        spec.commandLine()
                .getErr()
                .println(
                        "Checkpoints: "
                                + settings.get(TrainingProcess.PREFIX + "checkpoint-dir")
                                + " (resumed from on the next start)");
        Process child = TrainingProcess.start(jar, settings);
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy, "tideline-train-shutdown"));
        return child.waitFor();
    }
}
