package dev.tideline.training.deploy;

import dev.tideline.ops.config.ClientSettings;
import dev.tideline.training.TrainingMain;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tideline deploy}: the training job jar onto a Flink session cluster through the
 * JobManager's REST API, with the job's settings as program arguments; or a running job cancelled
 * with a savepoint, for an upgrade.
 */
@Command(
        name = "tideline deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Deploy the training job on a Flink cluster through the JobManager's REST API, or"
                    + " cancel it with a savepoint.",
            "Prints the job id and its web UI page (or the savepoint's path)."
        })
public final class DeployMain implements Callable<Integer> {

    @Option(
            names = "--jobmanager",
            paramLabel = "URL",
            description = "The JobManager's REST endpoint (default: ${DEFAULT-VALUE}).")
    URI jobManager = URI.create("http://localhost:8081");

    @Option(
            names = "--jar",
            paramLabel = "FILE",
            description =
                    "The job jar (default: flink-training/target/tideline-flink-training-job.jar).")
    Path jar;

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
            description =
                    "Where --cancel-with-savepoint writes (default: the cluster's"
                            + " state.savepoints.dir).")
    String savepointDir;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A tideline.* setting of the job, passed as a program argument; a secret"
                            + " (a password, a JAAS configuration, registry credentials) only as a"
                            + " config-provider reference.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description = "How long to wait for the JobManager (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 120;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DeployMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        FlinkDeployer deployer = new FlinkDeployer(jobManager, Duration.ofSeconds(timeoutSeconds));
        if (cancel != null) {
            String location =
                    deployer.cancelWithSavepoint(
                            cancel, savepointDir, Duration.ofSeconds(timeoutSeconds));
            System.out.println("savepoint=" + location + " job=" + cancel + " cancelled");
            return 0;
        }
        Path job = jar != null ? jar : defaultJar();
        if (!Files.isRegularFile(job)) {
            System.err.println(
                    "tideline deploy: no job jar at "
                            + job
                            + "; build it with: mvn -q package -DskipTests -pl flink-training -am");
            return 2;
        }
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (ClientSettings.isSecret(e.getKey())
                    && !ClientSettings.isProviderReference(e.getValue())) {
                System.err.println(
                        "tideline deploy: "
                                + e.getKey()
                                + " holds a secret, and program arguments show in Flink's web UI"
                                + " and REST API: give it as a config-provider reference, such as"
                                + " ${file:/run/secrets/tideline.properties:"
                                + e.getKey()
                                + "} with tideline.kafka.client.config.providers=file, which the"
                                + " TaskManagers resolve");
                return 2;
            }
        }
        List<String> args = new ArrayList<>();
        settings.forEach(
                (k, v) -> {
                    args.add("-D");
                    args.add(k + "=" + v);
                });
        String jarId = deployer.upload(job);
        String id =
                deployer.run(
                        jarId,
                        TrainingMain.class.getName(),
                        args,
                        Optional.ofNullable(savepoint),
                        allowNonRestoredState);
        System.out.println("job=" + id + " web=" + deployer.webUi(id));
        return 0;
    }

    private static Path defaultJar() {
        String home = System.getenv("TIDELINE_HOME");
        return (home == null ? Path.of("") : Path.of(home))
                .resolve("flink-training")
                .resolve("target")
                .resolve("tideline-flink-training-job.jar");
    }
}
