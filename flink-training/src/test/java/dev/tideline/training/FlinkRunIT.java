package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.testkit.PlantedFraud;
import dev.tideline.training.deploy.FlinkDeployer;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar deployed as a user deploys it: {@code flink run -d
 * tideline-flink-training-job.jar --config training.properties} against a standalone Flink 2.2
 * session cluster whose class path holds Flink and nothing of Tideline's, Kafka's or Avro's.
 */
@WithLocalStack
class FlinkRunIT {

    private static final Path JOB_JAR = Path.of("target", "tideline-flink-training-job.jar");

    @Test
    void theJobJarTrainsAndPublishesOnAStandaloneCluster(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        assertThat(JOB_JAR).as("the job jar, built by mvn package").exists();
        TopicCatalog catalog = TrainingJobIT.catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(8_000, 29);
        data.produce(stack.bootstrapServers(), catalog);
        data.advanceClocks(stack.bootstrapServers(), catalog);

        Properties settings = new Properties();
        settings.putAll(TrainingProcessIT.settings(stack, ns, dir.resolve("checkpoints")));
        Path file = dir.resolve("training.properties");
        try (Writer w = Files.newBufferedWriter(file)) {
            settings.store(w, "flink run");
        }

        try (StandaloneFlinkCluster cluster =
                StandaloneFlinkCluster.start(dir.resolve("flink"), 4)) {
            int code =
                    cluster.run(
                            List.of(
                                    "-d",
                                    JOB_JAR.toAbsolutePath().toString(),
                                    "--config",
                                    file.toString()));
            String client = Files.readString(cluster.log("flink-run"));
            assertThat(code).as(client).isZero();
            assertThat(client).contains("Job has been submitted with JobID");

            ModelRelease last =
                    TrainingJobIT.awaitTrained(
                            stack, catalog, "fraud", TrainingJobIT.trainable(data));

            List<ModelRelease> releases = TrainingJobIT.releases(stack, catalog, "fraud");
            for (int i = 0; i < releases.size(); i++) {
                assertThat(releases.get(i).getVersion()).as("release %d", i).isEqualTo(i + 1L);
            }
            assertThat(last.getMetrics().get("examples_trained"))
                    .isEqualTo((double) TrainingJobIT.trainable(data));
            assertThat(last.getMetrics().get("onnx_max_difference")).isLessThan(1e-5);
            assertThat(cluster.overview()).contains("\"jobs-running\":1", "\"jobs-failed\":0");
            // The TaskManager started with jdk.incubator.vector: the job jar's learners, loaded by
            // Flink's user-code class loader, train on SIMD lanes.
            assertThat(Files.readAllLines(cluster.log("taskmanager")))
                    .anyMatch(line -> line.contains("float lanes (jdk.incubator.vector)"));
        }
    }

    /**
     * {@code tideline deploy}'s path: the job jar uploaded and run through the JobManager's REST
     * API with the settings as program arguments; then cancelled with a savepoint and started again
     * from it, its releases going on where they stopped.
     */
    @Test
    void deploysThroughTheRestApiAndUpgradesFromASavepoint(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = TrainingJobIT.catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(8_000, 31);
        data.produce(stack.bootstrapServers(), catalog);
        data.advanceClocks(stack.bootstrapServers(), catalog);
        List<String> args = new ArrayList<>();
        TrainingProcessIT.settings(stack, ns, dir.resolve("checkpoints"))
                .forEach(
                        (k, v) -> {
                            if (!k.equals(TrainingConfig.HTTP_PORT)) {
                                args.add("-D");
                                args.add(k + "=" + v);
                            }
                        });

        try (StandaloneFlinkCluster cluster =
                StandaloneFlinkCluster.start(dir.resolve("flink"), 4)) {
            FlinkDeployer deployer = new FlinkDeployer(cluster.restUrl(), Duration.ofSeconds(120));
            String jar = deployer.upload(JOB_JAR.toAbsolutePath());
            String job =
                    deployer.run(jar, TrainingMain.class.getName(), args, Optional.empty(), false);
            assertThat(deployer.webUi(job).toString())
                    .endsWith("/#/job/running/" + job + "/overview");
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> deployer.status(job).equals("RUNNING"));
            TrainingJobIT.awaitTrained(stack, catalog, "fraud", TrainingJobIT.trainable(data));
            long released = TrainingJobIT.releases(stack, catalog, "fraud").size();

            String savepoint =
                    deployer.cancelWithSavepoint(
                            job,
                            dir.resolve("savepoints").toUri().toString(),
                            Duration.ofMinutes(2));
            assertThat(savepoint).contains("savepoint-");
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> deployer.status(job).equals("CANCELED"));

            // The upgrade: the same job from the savepoint, with more data to learn from.
            String next =
                    deployer.run(
                            jar, TrainingMain.class.getName(), args, Optional.of(savepoint), true);
            assertThat(next).isNotEqualTo(job);
            PlantedFraud more = new PlantedFraud(4_000, 37, PlantedFraud.WIDTH, "upgrade-");
            more.produce(stack.bootstrapServers(), catalog);
            more.advanceClocks(stack.bootstrapServers(), catalog);
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> TrainingJobIT.releases(stack, catalog, "fraud").size() > released);
            List<ModelRelease> releases = TrainingJobIT.releases(stack, catalog, "fraud");
            for (int i = 0; i < releases.size(); i++) {
                assertThat(releases.get(i).getVersion())
                        .as("release %d: versions go on from the savepoint", i)
                        .isEqualTo(i + 1L);
            }
            assertThat(deployer.status(next)).isEqualTo("RUNNING");
        }
    }
}
