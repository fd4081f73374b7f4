package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.testkit.PlantedFraud;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

            ModelRelease last = TrainingJobIT.awaitTrained(stack, catalog, "fraud", data.count);

            List<ModelRelease> releases = TrainingJobIT.releases(stack, catalog, "fraud");
            for (int i = 0; i < releases.size(); i++) {
                assertThat(releases.get(i).getVersion()).as("release %d", i).isEqualTo(i + 1L);
            }
            assertThat(last.getMetrics().get("examples_trained")).isEqualTo((double) data.count);
            assertThat(last.getMetrics().get("onnx_max_difference")).isLessThan(1e-5);
            assertThat(cluster.overview()).contains("\"jobs-running\":1", "\"jobs-failed\":0");
            // The TaskManager started with jdk.incubator.vector: the job jar's learners, loaded by
            // Flink's user-code class loader, train on SIMD lanes.
            assertThat(Files.readAllLines(cluster.log("taskmanager")))
                    .anyMatch(line -> line.contains("float lanes (jdk.incubator.vector)"));
        }
    }
}
