package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.ModelReleaseKey;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.GlobalModel;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.ReleaseSignature;
import dev.tideline.testkit.PlantedFraud;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.test.util.MiniClusterWithClientResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@WithLocalStack
class TrainingJobIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(6)
                            .build());

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @Test
    void learnsPlantedFraudAndFourLearnersEndNoMoreThanAHundredthBelowOne(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(40_000, 7);
        // Both jobs follow the same live stream: one with four learners, one with one. Positives
        // train at maturity, in event-time order with the negatives of their time: at label time
        // a fresh job meets positives first, by as much as the race between its two sources
        // gives, and the comparison would measure that race.
        Map<String, String> same =
                Map.of(
                        TrainingConfig.POSITIVES, "at-maturity",
                        TrainingConfig.SERVER_LEARNING_RATE, "0");
        JobClient four = start(stack, ns, catalog, "fraud-p4", 4, same);
        JobClient one = start(stack, ns, catalog, "fraud-p1", 1, same);
        try {
            awaitRunning(four);
            awaitRunning(one);
            data.produce(stack.bootstrapServers(), catalog, 4_000);
            try (KafkaProducer<byte[], byte[]> p =
                    PlantedFraud.producer(stack.bootstrapServers())) {
                p.send(
                        new ProducerRecord<>(
                                catalog.labels().name(),
                                PlantedFraud.key("bad"),
                                "garbage".getBytes(StandardCharsets.UTF_8)));
            }
            data.advanceClocks(stack.bootstrapServers(), catalog);

            ModelRelease byFour = awaitTrained(stack, catalog, "fraud-p4", trainable(data));
            ModelRelease byOne = awaitTrained(stack, catalog, "fraud-p1", trainable(data));
            PlantedFraud holdout = new PlantedFraud(10_000, 99);
            double aucFour = holdout.auc(byFour);
            double aucOne = holdout.auc(byOne);
            System.out.printf(
                    "P=4: holdout AUC %.4f, %s%nP=1: holdout AUC %.4f, %s%n",
                    aucFour, byFour.getMetrics(), aucOne, byOne.getMetrics());

            assertThat(aucOne).as("holdout AUC of the final model, P=1").isGreaterThan(0.9);
            assertThat(aucFour).as("holdout AUC of the final model, P=4").isGreaterThan(0.9);
            assertThat(aucOne - aucFour)
                    .as("what four learners lose against one: P=4 %s, P=1 %s", aucFour, aucOne)
                    .isLessThanOrEqualTo(0.01);
            assertThat(byOne.getMetrics().get("auc_total"))
                    .as("P=1 progressive AUC")
                    .isGreaterThanOrEqualTo(0.9);
            // Four replicas' scores pooled, each on its own scale between rounds, and at the start
            // four models training apart until the first versions come back (0.83 to 0.94 on
            // this stream, as the round trip goes): a check that they learn at all.
            assertThat(byFour.getMetrics().get("auc_total"))
                    .as("P=4 progressive AUC")
                    .isGreaterThanOrEqualTo(0.8);
        } finally {
            four.cancel().get();
            one.cancel().get();
        }

        List<ConsumerRecord<byte[], byte[]>> dead =
                readAll(stack, catalog.deadLetter(catalog.labels()).name(), 6);
        // Per job: the garbage, the label of a transaction never served, and the one reported
        // after its transaction's maturity. That one is refused as such while the vector still
        // waits, or as unknown when the watermark matured the vector first.
        Map<String, List<String>> reasons =
                dead.stream()
                        .collect(
                                Collectors.groupingBy(
                                        r -> new String(r.key(), StandardCharsets.UTF_8),
                                        Collectors.mapping(
                                                r ->
                                                        DeadLetter.header(
                                                                r.headers(), DeadLetter.REASON),
                                                Collectors.toList())));
        assertThat(reasons).hasSize(3);
        assertThat(reasons.get("bad")).containsExactly("undecodable", "undecodable");
        assertThat(reasons.get("ghost"))
                .containsExactly("unknown-transaction", "unknown-transaction");
        assertThat(reasons)
                .hasEntrySatisfying(
                        data.lateLabelTxn(),
                        late ->
                                assertThat(late)
                                        .hasSize(2)
                                        .isSubsetOf("after-maturity", "unknown-transaction"));
        assertThat(dead)
                .allSatisfy(
                        r -> {
                            assertThat(DeadLetter.header(r.headers(), DeadLetter.STAGE))
                                    .isEqualTo("flink-training");
                            assertThat(DeadLetter.header(r.headers(), DeadLetter.SOURCE_TOPIC))
                                    .isEqualTo(catalog.labels().name());
                        });
    }

    @Test
    void recoversFromALostTaskManagerWithoutTrainingAnExampleTwiceOrSkippingAVersion(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(12_000, 11);
        // A cluster of its own, whose one TaskManager dies mid-stream and is replaced.
        MiniClusterWithClientResource cluster =
                new MiniClusterWithClientResource(
                        new MiniClusterResourceConfiguration.Builder()
                                .setNumberTaskManagers(1)
                                .setNumberSlotsPerTaskManager(6)
                                .build());
        cluster.before();
        CountDownLatch resume = new CountDownLatch(1);
        Thread producer =
                new Thread(
                        () ->
                                data.produce(
                                        stack.bootstrapServers(),
                                        catalog,
                                        0,
                                        data.count / 2,
                                        resume),
                        "planted-fraud");
        JobClient job = null;
        try {
            job =
                    start(
                            cluster.getTestStreamEnvironment(),
                            stack,
                            ns,
                            catalog,
                            "fraud-eos",
                            2,
                            Map.of(
                                    TrainingConfig.RESTART_ATTEMPTS, "1",
                                    TrainingConfig.RESTART_DELAY_MS, "200",
                                    TrainingConfig.STATE_BACKEND, "rocksdb"));
            producer.start();
            // A committed release means a completed checkpoint; the stream is held at its half,
            // so the job is certainly mid-stream when its TaskManager dies.
            await().atMost(TIMEOUT)
                    .pollInterval(Duration.ofMillis(500))
                    .until(
                            () ->
                                    releases(stack, catalog, "fraud-eos").stream()
                                            .anyMatch(
                                                    r ->
                                                            r.getMetrics().get("examples_trained")
                                                                    >= 2_500));
            MiniCluster flink = cluster.getMiniCluster();
            flink.terminateTaskManager(0).get();
            flink.startTaskManager();
            resume.countDown();
            producer.join();
            data.advanceClocks(stack.bootstrapServers(), catalog);
            awaitTrained(stack, catalog, "fraud-eos", trainable(data));
            assertThat(flink.getExecutionGraph(job.getJobID()).get().getFailureInfo())
                    .as("the job failed with its TaskManager and recovered")
                    .isNotNull();
        } finally {
            resume.countDown();
            producer.join();
            if (job != null) {
                job.cancel().get();
            }
            cluster.after();
        }

        List<ModelRelease> releases = releases(stack, catalog, "fraud-eos");
        for (int i = 0; i < releases.size(); i++) {
            assertThat(releases.get(i).getVersion()).as("release %d", i).isEqualTo(i + 1L);
        }
        ModelRelease last = releases.get(releases.size() - 1);
        assertThat(last.getMetrics().get("examples_trained"))
                .as("every matured example not held out trained exactly once")
                .isEqualTo((double) trainable(data));

        // The globals on the sync topic come from two runs, the one that lost its TaskManager and
        // the restored one; each run's versions increase, and the restored run's resume from the
        // checkpointed version, which the learners can tell apart from the lost run's by lineage.
        Map<String, List<Long>> byRun = new java.util.LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(stack, catalog.trainingSync().name(), 1)) {
            GlobalModel g =
                    catalog.trainingSync()
                            .valueSerde()
                            .deserializer()
                            .deserialize(r.topic(), r.value());
            if (g.getModelName().equals("fraud-eos")) {
                byRun.computeIfAbsent(g.getLineage(), k -> new ArrayList<>()).add(g.getVersion());
            }
        }
        assertThat(byRun).hasSize(2);
        assertThat(byRun.keySet()).allMatch(l -> l.matches("[0-9a-f]{32}/\\d+"));
        for (List<Long> versions : byRun.values()) {
            assertThat(versions).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void trainsAndPublishesAHiddenLayerModelThatOnnxRuntimeServes(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        PlantedFraud data = new PlantedFraud(16_000, 13);
        // Releases signed with a key generated here, as an operator's would be.
        KeyPair signer = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path key = dir.resolve("signing.pem");
        Files.writeString(
                key, ReleaseSignature.pem("PRIVATE KEY", signer.getPrivate().getEncoded()));
        JobClient job =
                start(
                        stack,
                        ns,
                        catalog,
                        "fraud-mlp",
                        2,
                        Map.of(
                                TrainingConfig.KIND, "mlp",
                                TrainingConfig.HIDDEN, "16",
                                TrainingConfig.STATE_BACKEND, "rocksdb",
                                TrainingConfig.SIGNING_KEY, key.toString(),
                                TrainingConfig.SIGNING_KEY_ID, "trainer-1"));
        try {
            awaitRunning(job);
            data.produce(stack.bootstrapServers(), catalog, 4_000);
            data.advanceClocks(stack.bootstrapServers(), catalog);
            ModelRelease last = awaitTrained(stack, catalog, "fraud-mlp", trainable(data));

            byte[] onnx = new byte[last.getOnnx().remaining()];
            last.getOnnx().duplicate().get(onnx);
            assertThat(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(onnx).getGraph().getNodeList())
                    .extracting(ai.onnx.proto.OnnxMl.NodeProto::getOpType)
                    .contains("Gemm", "Relu", "Sigmoid");
            assertThat(last.getInputWidth()).isEqualTo(PlantedFraud.WIDTH);
            assertThat(last.getSpecFingerprint()).isEqualTo(PlantedFraud.FINGERPRINT);
            assertThat(last.getMetrics().get("onnx_max_difference")).isLessThan(1e-5);
            assertThat(new PlantedFraud(10_000, 99).auc(last))
                    .as("holdout AUC of the released MLP")
                    .isGreaterThanOrEqualTo(0.9);
            assertThat(releases(stack, catalog, "fraud-mlp"))
                    .allSatisfy(
                            r ->
                                    assertThat(
                                                    ReleaseSignature.verify(
                                                            r,
                                                            Map.of(
                                                                    "trainer-1",
                                                                    signer.getPublic())))
                                            .isEqualTo(ReleaseSignature.Check.VALID));
        } finally {
            job.cancel().get();
        }
    }

    /** Runs the job until a release has trained on every matured example; its metrics. */
    private static Map<String, Double> train(
            LocalStack stack,
            TestNamespace ns,
            TopicCatalog catalog,
            String model,
            int learners,
            Map<String, String> extra,
            int matured)
            throws Exception {
        JobClient job = start(stack, ns, catalog, model, learners, extra);
        try {
            return awaitTrained(stack, catalog, model, matured).getMetrics();
        } finally {
            job.cancel().get();
        }
    }

    private static JobClient start(
            LocalStack stack,
            TestNamespace ns,
            TopicCatalog catalog,
            String model,
            int learners,
            Map<String, String> extra)
            throws Exception {
        return start(
                StreamExecutionEnvironment.getExecutionEnvironment(),
                stack,
                ns,
                catalog,
                model,
                learners,
                extra);
    }

    private static JobClient start(
            StreamExecutionEnvironment env,
            LocalStack stack,
            TestNamespace ns,
            TopicCatalog catalog,
            String model,
            int learners,
            Map<String, String> extra)
            throws Exception {
        Map<String, String> values = new HashMap<>();
        values.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        values.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        values.put("tideline.topics.prefix", ns.prefix());
        values.put("tideline.topics.partitions", "4");
        values.put(TrainingConfig.MODEL, model);
        values.put(TrainingConfig.GROUP_ID, ns.name(model));
        values.put(TrainingConfig.PARALLELISM, String.valueOf(learners));
        values.put(TrainingConfig.SPEC_FINGERPRINT, PlantedFraud.FINGERPRINT);
        values.put(TrainingConfig.INPUT_WIDTH, String.valueOf(PlantedFraud.WIDTH));
        values.put(TrainingConfig.MATURITY_MS, String.valueOf(PlantedFraud.MATURITY_MS));
        values.put(TrainingConfig.OUT_OF_ORDERNESS_MS, "1000");
        values.put(TrainingConfig.IDLENESS_MS, "30000");
        values.put(TrainingConfig.CHECKPOINT_INTERVAL_MS, "1000");
        values.put(TrainingConfig.STATE_BACKEND, "hashmap");
        values.put(TrainingConfig.RESTART_ATTEMPTS, "0");
        values.put(TrainingConfig.UPDATE_EVERY, "64");
        values.put(TrainingConfig.ROUND_TIMEOUT_MS, "500");
        values.put(TrainingConfig.FLUSH_AFTER_MS, "500");
        values.put(TrainingConfig.RELEASE_EVERY_ROUNDS, "10");
        values.put(TrainingConfig.RELEASE_EVERY_MS, "1000");
        values.put(TrainingConfig.LEARNING_RATE, "0.05");
        values.put(TrainingConfig.TRANSACTION_TIMEOUT_MS, "60000");
        values.putAll(extra);
        TrainingConfig config = new TrainingConfig(values);
        TrainingJob.build(env, config);
        return env.executeAsync("training " + model);
    }

    private static void awaitRunning(JobClient job) {
        await().atMost(TIMEOUT)
                .until(
                        () ->
                                job.getJobStatus().get()
                                        == org.apache.flink.api.common.JobStatus.RUNNING);
    }

    /**
     * The examples of {@code data} the learners train on: every matured one but those the job holds
     * out for the champion/challenger gate (one transaction id in {@code holdout-every}).
     */
    static int trainable(PlantedFraud data) {
        int every =
                (Integer)
                        TrainingConfig.DEFINITION.defaultValues().get(TrainingConfig.HOLDOUT_EVERY);
        return (int)
                data.vectors.stream()
                        .filter(v -> !TrainingJob.heldOut(v.getTxnId(), every))
                        .count();
    }

    /** The first release that has trained on every matured example. */
    static ModelRelease awaitTrained(
            LocalStack stack, TopicCatalog catalog, String model, int matured) {
        await().atMost(TIMEOUT)
                .pollInterval(Duration.ofSeconds(1))
                .until(
                        () -> {
                            List<ModelRelease> r = releases(stack, catalog, model);
                            return !r.isEmpty()
                                    && r.get(r.size() - 1).getMetrics().get("examples_trained")
                                            >= matured;
                        });
        List<ModelRelease> r = releases(stack, catalog, model);
        return r.get(r.size() - 1);
    }

    static List<ModelRelease> releases(LocalStack stack, TopicCatalog catalog, String model) {
        List<ModelRelease> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(stack, catalog.models().name(), 0)) {
            ModelRelease m =
                    catalog.models().valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (model.equals(m.getModelName())) {
                // Keyed so that compaction keeps the newest promotable release.
                assertThat(new String(r.key(), StandardCharsets.UTF_8))
                        .isEqualTo(ModelReleaseKey.of(m));
                out.add(m);
            }
        }
        return out;
    }

    /** Every committed record of a topic (waiting for at least {@code atLeast}). */
    static List<ConsumerRecord<byte[], byte[]>> readAll(
            LocalStack stack, String topic, int atLeast) {
        return Topics.readAtLeast(stack.bootstrapServers(), topic, atLeast, TIMEOUT);
    }

    static TopicCatalog catalog(LocalStack stack, TestNamespace ns) {
        return TestCatalogs.bootstrapped(stack, ns.prefix(), 4);
    }
}
