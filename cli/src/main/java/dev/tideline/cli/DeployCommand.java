package dev.tideline.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline deploy}: submits the training job jar to a Flink session cluster through the
 * JobManager's REST API, with the job's settings (connection, topics, {@code tideline.training.*},
 * the built-in spec's fingerprint and width) as program arguments; or cancels a job with a
 * savepoint, for an upgrade. The REST calls run in the training module's JVM ({@code
 * dev.tideline.training.deploy.DeployMain}).
 */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Deploy the training job on a Flink 2.2 session cluster through the JobManager's REST"
                    + " API (upload the job jar, run it with the job's settings as program"
                    + " arguments), or cancel a job with a savepoint for an upgrade.",
            "Prints the job id and its web UI page, or the savepoint's path."
        })
final class DeployCommand implements Callable<Integer> {

    static final String MAIN = "dev.tideline.training.deploy.DeployMain";

    @Mixin CommonOptions options;

    @Option(
            names = "--jobmanager",
            paramLabel = "URL",
            description = "The JobManager's REST endpoint (default: ${DEFAULT-VALUE}).")
    String jobManager = "http://localhost:8081";

    @Option(
            names = "--jar",
            paramLabel = "FILE",
            description =
                    "The job jar (default: flink-training/target/tideline-flink-training-job.jar).")
    String jar;

    @Option(
            names = "--savepoint",
            paramLabel = "PATH",
            description = "Start the job from this savepoint or retained checkpoint.")
    String savepoint;

    @Option(
            names = "--allow-non-restored-state",
            description = "Drop savepoint state that no operator of this job claims.")
    boolean allowNonRestoredState;

    @Option(
            names = "--cancel-with-savepoint",
            paramLabel = "JOB",
            description = "Take a savepoint of this job into --savepoint-dir, then cancel it.")
    String cancel;

    @Option(
            names = "--savepoint-dir",
            paramLabel = "DIR",
            description = "Where --cancel-with-savepoint writes (default: the cluster's).")
    String savepointDir;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("--jobmanager", jobManager));
        if (cancel != null) {
            args.addAll(List.of("--cancel-with-savepoint", cancel));
            if (savepointDir != null) {
                args.addAll(List.of("--savepoint-dir", savepointDir));
            }
        } else {
            if (jar != null) {
                args.addAll(List.of("--jar", jar));
            }
            if (savepoint != null) {
                args.addAll(List.of("--savepoint", savepoint));
            }
            if (allowNonRestoredState) {
                args.add("--allow-non-restored-state");
            }
            Map<String, String> settings =
                    TrainingProcess.settings(Settings.load(options).engineValues());
            settings.forEach(
                    (k, v) -> {
                        args.add("-D");
                        args.add(k + "=" + v);
                    });
        }
        return ModuleJvm.TRAINING.run(spec.commandLine().getErr(), MAIN, args);
    }
}
