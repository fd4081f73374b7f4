package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.testkit.ChildJvm;
import dev.tideline.testkit.Http;
import dev.tideline.testkit.PlantedFraud;
import dev.tideline.testkit.Prometheus;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job as its own process ({@code TrainingMain} in a MiniCluster), killed and started again. */
@WithLocalStack
class TrainingProcessIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    /**
     * Without {@code checkpoint-dir}, as {@code tideline train} runs it: the MiniCluster keeps its
     * checkpoints under {@code <tmp>/tideline-training/<group-id>} and resumes from there.
     */
    @Test
    void resumesFromItsLastCheckpointAfterItsProcessIsKilled(
            LocalStack stack, TestNamespace ns, @TempDir Path tmp) throws Exception {
        TopicCatalog catalog = TrainingJobIT.catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(20_000, 17);
        Map<String, String> settings = settings(stack, ns, tmp);
        settings.remove(TrainingConfig.CHECKPOINT_DIR);
        Path checkpoints =
                tmp.resolve("tideline-training").resolve(settings.get(TrainingConfig.GROUP_ID));

        Process first = launch(settings, ChildJvm.logFile(ns, "first.log"), tmp);
        CountDownLatch killed = new CountDownLatch(1);
        Process second = null;
        try {
            // The stream holds at half-way until the kill, however slowly the first process starts.
            CompletableFuture<Void> stream =
                    CompletableFuture.runAsync(
                            () ->
                                    data.produce(
                                            stack.bootstrapServers(),
                                            catalog,
                                            1_000,
                                            data.count / 2,
                                            killed));
            // Dies, unclean, once it has published and while vectors still arrive.
            await().atMost(TIMEOUT)
                    .until(
                            () -> {
                                List<ModelRelease> r =
                                        TrainingJobIT.releases(stack, catalog, "fraud");
                                return !r.isEmpty()
                                        && r.get(r.size() - 1).getMetrics().get("examples_trained")
                                                > 1_000;
                            });
            assertThat(stream).as("killed mid-stream").isNotDone();
            first.destroyForcibly().waitFor();
            killed.countDown();
            stream.get();
            data.advanceClocks(stack.bootstrapServers(), catalog);

            Path secondLog = ChildJvm.logFile(ns, "second.log");
            second = launch(settings, secondLog, tmp);
            ModelRelease last =
                    TrainingJobIT.awaitTrained(
                            stack, catalog, "fraud", TrainingJobIT.trainable(data));

            assertThat(Files.readString(secondLog))
                    .contains("Resuming the training job from " + checkpoints.toUri());
            List<ModelRelease> releases = TrainingJobIT.releases(stack, catalog, "fraud");
            for (int i = 0; i < releases.size(); i++) {
                assertThat(releases.get(i).getVersion()).as("release %d", i).isEqualTo(i + 1L);
            }
            assertThat(last.getMetrics().get("examples_trained"))
                    .as("every matured example not held out trained exactly once across the kill")
                    .isEqualTo((double) TrainingJobIT.trainable(data));
        } finally {
            killed.countDown();
            first.destroyForcibly().waitFor();
            if (second != null) {
                second.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * The process's {@code /health} says the job runs, and its {@code /metrics} carries the job's
     * own Flink metrics, per subtask: every example the join emitted, every example the learners
     * trained, rounds, releases and checkpoints.
     */
    @Test
    void servesHealthAndTheJobsMetrics(LocalStack stack, TestNamespace ns, @TempDir Path tmp)
            throws Exception {
        TopicCatalog catalog = TrainingJobIT.catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(4_000, 23);
        Map<String, String> settings = settings(stack, ns, tmp);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        settings.put(TrainingConfig.HTTP_PORT, String.valueOf(port));
        Process job = launch(settings, ChildJvm.logFile(ns, "metrics.log"), tmp);
        try {
            await().atMost(TIMEOUT)
                    .ignoreExceptions()
                    .until(() -> get(port, "/health").statusCode() == 200);
            assertThat(get(port, "/health").body())
                    .isEqualTo("{\"job\":\"RUNNING\",\"ready\":true}");

            data.produce(stack.bootstrapServers(), catalog);
            data.advanceClocks(stack.bootstrapServers(), catalog);
            TrainingJobIT.awaitTrained(stack, catalog, "fraud", TrainingJobIT.trainable(data));

            await().atMost(TIMEOUT)
                    .untilAsserted(
                            () -> {
                                Map<String, Map<String, Double>> m =
                                        metrics(get(port, "/metrics").body());
                                assertThat(
                                                sum(m, "tideline_join_examples_positive_total")
                                                        + sum(
                                                                m,
                                                                "tideline_join_examples_negative_total"))
                                        .as("examples the join emitted")
                                        .isEqualTo(data.count);
                                assertThat(m.get("tideline_join_vectors_decided_on_arrival_total"))
                                        .as("one series per join subtask")
                                        .hasSize(2);
                                assertThat(sum(m, "tideline_join_vectors_decided_on_arrival_total"))
                                        .as("vectors decided on arrival are negatives")
                                        .isBetween(
                                                0.0,
                                                sum(m, "tideline_join_examples_negative_total"));
                                assertThat(m.get("tideline_learner_examples_trained_total"))
                                        .as("one series per learner")
                                        .containsOnlyKeys("{subtask=\"0\"}", "{subtask=\"1\"}");
                                assertThat(sum(m, "tideline_learner_examples_trained_total"))
                                        .as("examples the learners trained: all but the holdout")
                                        .isEqualTo(TrainingJobIT.trainable(data));
                                assertThat(sum(m, "tideline_aggregator_rounds_total")).isPositive();
                                assertThat(sum(m, "tideline_publisher_releases_total"))
                                        .isPositive();
                                assertThat(sum(m, "tideline_training_checkpoints_completed"))
                                        .isPositive();
                                assertThat(sum(m, "tideline_training_restarts")).isZero();
                            });
        } finally {
            job.destroyForcibly().waitFor();
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return Http.get("http://127.0.0.1:" + port + path);
    }

    private static Map<String, Map<String, Double>> metrics(String text) {
        return Prometheus.parse(text);
    }

    private static double sum(Map<String, Map<String, Double>> metrics, String name) {
        assertThat(metrics).as("metrics").containsKey(name);
        return metrics.get(name).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /**
     * Settings of a training job run as its own process against {@code stack}: RocksDB state,
     * checkpoints every 500 ms retained in {@code checkpoints}, frequent updates and releases.
     */
    static Map<String, String> settings(LocalStack stack, TestNamespace ns, Path checkpoints) {
        Map<String, String> settings = new TreeMap<>();
        settings.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        settings.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        settings.put("tideline.topics.prefix", ns.prefix());
        settings.put("tideline.topics.partitions", "4");
        settings.put(TrainingConfig.MODEL, "fraud");
        settings.put(TrainingConfig.GROUP_ID, ns.name("training"));
        settings.put(TrainingConfig.PARALLELISM, "2");
        settings.put(TrainingConfig.SPEC_FINGERPRINT, PlantedFraud.FINGERPRINT);
        settings.put(TrainingConfig.INPUT_WIDTH, String.valueOf(PlantedFraud.WIDTH));
        settings.put(TrainingConfig.MATURITY_MS, String.valueOf(PlantedFraud.MATURITY_MS));
        settings.put(TrainingConfig.OUT_OF_ORDERNESS_MS, "1000");
        settings.put(TrainingConfig.CHECKPOINT_INTERVAL_MS, "500");
        settings.put(TrainingConfig.CHECKPOINT_DIR, checkpoints.toUri().toString());
        settings.put(TrainingConfig.STATE_BACKEND, "rocksdb");
        settings.put(TrainingConfig.RESTART_ATTEMPTS, "0");
        settings.put(TrainingConfig.UPDATE_EVERY, "64");
        settings.put(TrainingConfig.FLUSH_AFTER_MS, "500");
        settings.put(TrainingConfig.RELEASE_EVERY_ROUNDS, "5");
        settings.put(TrainingConfig.RELEASE_EVERY_MS, "1000");
        settings.put(TrainingConfig.TRANSACTION_TIMEOUT_MS, "30000");
        settings.put(TrainingConfig.HTTP_PORT, "0");
        return settings;
    }

    /** Starts {@code TrainingMain} in its own JVM with {@code tmp} as its temporary directory. */
    private static Process launch(Map<String, String> settings, Path log, Path tmp)
            throws Exception {
        return ChildJvm.start(
                TrainingMain.class,
                settings,
                "512m",
                log,
                List.of("-Djava.io.tmpdir=" + tmp, "--add-modules", "jdk.incubator.vector"));
    }
}
