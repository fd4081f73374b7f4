package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.ModelReleaseKey;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.ModelRevocation;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.testkit.ChildJvm;
import dev.tideline.testkit.Http;
import dev.tideline.testkit.Prometheus;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.TestModels;
import dev.tideline.testkit.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Scoring replicas on a real broker and registry with real ONNX Runtime sessions. */
@WithLocalStack
class ScoringLoopIT {

    private static final int WIDTH = 4;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void scoresEveryVectorExactlyOnceWhenAReplicaIsKilledMidTransaction(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        int childPort = Http.freePort();
        Map<String, String> childConfig = serviceConfig(stack, ns, "child", childPort);
        String childTransactionalId = ns.name("kill") + "-child";
        AtomicInteger sent = new AtomicInteger();
        try (ServingApp survivor =
                ServingApp.start(new ServingConfig(serviceConfig(stack, ns, "survivor", -1)))) {
            Process child = null;
            try {
                // The child dies like a killed process: predictions sent, its transaction open,
                // nothing committed. The survivor takes its partitions over, and the open
                // transaction is aborted when it times out (5 s here).
                boolean open = false;
                for (int attempt = 1; attempt <= 5 && !open; attempt++) {
                    Path log = ChildJvm.logFile(ns, "child-" + attempt + ".log");
                    child = launch(childConfig, log);
                    awaitReady(child, childPort, log);
                    killUnderLoad(stack, catalog, child, childPort, childTransactionalId, sent);
                    open = ongoing(stack, childTransactionalId);
                }
                assertThat(open).as("a kill left the child's transaction open").isTrue();
                int from = sent.get();
                vectors(stack, catalog, from, from + 1_000);
                sent.addAndGet(1_000);

                await().atMost(TIMEOUT)
                        .until(() -> predictions(stack, catalog).size() >= sent.get());
                List<Prediction> all = predictions(stack, catalog);
                assertThat(all).hasSize(sent.get());
                assertThat(all.stream().map(Prediction::getTxnId).distinct().count())
                        .as("one prediction per vector")
                        .isEqualTo(sent.get());
                assertThat(all).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo(1L));
            } finally {
                if (child != null) {
                    child.destroyForcibly().waitFor();
                }
            }
        }
    }

    /**
     * Streams vectors until the replica in {@code child} has committed a few hundred predictions
     * more, then kills it ({@code kill -9}) while the stream still flows.
     */
    private static void killUnderLoad(
            LocalStack stack,
            TopicCatalog catalog,
            Process child,
            int port,
            String transactionalId,
            AtomicInteger sent)
            throws Exception {
        AtomicBoolean streaming = new AtomicBoolean(true);
        Thread load =
                new Thread(
                        () -> {
                            while (streaming.get()) {
                                int from = sent.getAndAdd(200);
                                vectors(stack, catalog, from, from + 200);
                            }
                        },
                        "load");
        load.start();
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", (Object) stack.bootstrapServers()))) {
            double before = committedBy(port);
            await().atMost(TIMEOUT).until(() -> committedBy(port) > before + 500);
            // Kill it the moment the coordinator sees a transaction of its open, so that the
            // kill lands inside one (for up to ten seconds; then at whatever point it is).
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && !ongoing(admin, transactionalId)) {
                // describeTransactions paces the loop: one round trip to the coordinator each.
            }
            child.destroyForcibly().waitFor();
        } finally {
            streaming.set(false);
            load.join();
        }
    }

    /** Whether the producer with {@code transactionalId} has a transaction open on the broker. */
    private static boolean ongoing(LocalStack stack, String transactionalId) throws Exception {
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", (Object) stack.bootstrapServers()))) {
            return ongoing(admin, transactionalId);
        }
    }

    private static boolean ongoing(Admin admin, String transactionalId) throws Exception {
        TransactionDescription d =
                admin.describeTransactions(List.of(transactionalId))
                        .description(transactionalId)
                        .get();
        return d.state() == TransactionState.ONGOING && !d.topicPartitions().isEmpty();
    }

    @Test
    void aReplicaRestartedAfterAKillFencesTheTransactionItLeftOpenAtOnce(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        int port = Http.freePort();
        // No instance id: the replica takes <host>-0, and takes it again after the kill. The
        // transaction timeout is long, so waiting it out would show.
        Map<String, String> config = serviceConfig(stack, ns, null, port);
        config.put("tideline.kafka.client.transaction.timeout.ms", "120000");
        String predictions = catalog.predictions().name();
        AtomicInteger sent = new AtomicInteger();
        Process child = null;
        try {
            // Vectors keep coming while the replica is killed inside a transaction of
            // predictions, until a kill leaves one open (nearly always the first).
            String transactionalId =
                    ns.name("kill") + "-" + InstanceLease.sanitize(InstanceLease.hostName()) + "-0";
            boolean open = false;
            for (int attempt = 1; attempt <= 5 && !open; attempt++) {
                Path log = ChildJvm.logFile(ns, "fenced-" + attempt + ".log");
                child = launch(config, log);
                awaitReady(child, port, log);
                killUnderLoad(stack, catalog, child, port, transactionalId, sent);
                open = ongoing(stack, transactionalId);
            }
            assertThat(open).as("a kill left a transaction of predictions open").isTrue();

            long restarted = System.nanoTime();
            child = launch(config, ChildJvm.logFile(ns, "fenced-restarted.log"));
            // The restarted replica has its old transactional id: it fences its dead self and
            // aborts the open transaction at start, long before the timeout would.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> openTransactions(stack, predictions) == 0);
            Duration unblocked = Duration.ofNanos(System.nanoTime() - restarted);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= sent.get());
            List<Prediction> all = predictions(stack, catalog);
            assertThat(all).hasSize(sent.get());
            assertThat(all.stream().map(Prediction::getTxnId).distinct().count())
                    .as("one prediction per vector")
                    .isEqualTo(sent.get());
            System.out.printf(
                    "open transaction aborted %d ms after the restart (timeout 120000 ms)%n",
                    unblocked.toMillis());

            // While it lives, no other replica on this host can claim its id.
            Map<String, String> twin = new HashMap<>(config);
            twin.put(
                    ServingConfig.INSTANCE_ID,
                    InstanceLease.sanitize(InstanceLease.hostName()) + "-0");
            twin.put(ServingConfig.HTTP_PORT, "-1");
            assertThatThrownBy(() -> ServingApp.start(new ServingConfig(twin)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(ServingConfig.INSTANCE_ID)
                    .hasMessageContaining("held by another live replica");
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor();
            }
        }
    }

    /** Partitions of {@code topic} whose last stable offset is held back by an open transaction. */
    private static long openTransactions(LocalStack stack, String topic) throws Exception {
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", (Object) stack.bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 4; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            var stable =
                    admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                            .all()
                            .get();
            var written =
                    admin.listOffsets(
                                    latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                            .all()
                            .get();
            return latest.keySet().stream()
                    .filter(tp -> stable.get(tp).offset() < written.get(tp).offset())
                    .count();
        }
    }

    private static double committedBy(int port) {
        try {
            return committed(Http.get("http://localhost:" + port + "/metrics").body());
        } catch (Exception e) {
            return 0;
        }
    }

    private static void awaitReady(Process child, int port, Path log) throws Exception {
        try {
            await().atMost(TIMEOUT)
                    .ignoreExceptions()
                    .until(
                            () ->
                                    Http.get("http://localhost:" + port + "/health").statusCode()
                                            == 200);
        } catch (RuntimeException e) {
            throw new AssertionError(
                    "replica never became ready ("
                            + (child.isAlive() ? "alive" : "exit " + child.exitValue())
                            + "); its log:\n"
                            + java.nio.file.Files.readString(log),
                    e);
        }
    }

    /** A replica's settings; the killed one's transactions time out fast. */
    private static Map<String, String> serviceConfig(
            LocalStack stack, TestNamespace ns, String instance, int port) {
        Map<String, String> values = new HashMap<>();
        values.put("tideline.kafka.bootstrap-servers", stack.bootstrapServers());
        values.put("tideline.registry.url", stack.registryUrl());
        values.put("tideline.topics.prefix", ns.prefix());
        values.put("tideline.topics.partitions", "4");
        values.put(ServingConfig.GROUP_ID, ns.name("kill"));
        if (instance != null) {
            values.put(ServingConfig.INSTANCE_ID, instance);
        }
        // The replicas of one test share a host, and so their instance locks.
        values.put(
                ServingConfig.STATE_DIR,
                Path.of("target", "serving-state", ns.prefix()).toAbsolutePath().toString());
        values.put(ServingConfig.SPEC_FINGERPRINT, TestModels.FINGERPRINT);
        values.put(ServingConfig.INPUT_WIDTH, String.valueOf(WIDTH));
        values.put(ServingConfig.MAX_BATCH, "128");
        values.put(ServingConfig.HTTP_PORT, String.valueOf(port));
        values.put("tideline.kafka.client.transaction.timeout.ms", "5000");
        values.put("tideline.kafka.client.session.timeout.ms", "6000");
        values.put("tideline.kafka.client.heartbeat.interval.ms", "1000");
        return values;
    }

    /** Starts a replica in its own JVM, as {@code java -jar tideline-serving-consumer.jar}. */
    private static Process launch(Map<String, String> config, Path log) throws Exception {
        return ChildJvm.start(ServingMain.class, config, "256m", log);
    }

    /** Predictions a replica reports committed, from its Prometheus text. */
    private static double committed(String prometheus) {
        return Prometheus.sum(prometheus, "tideline_serving_predictions_total");
    }

    /**
     * A poll finds buffered only what the fetch it left behind came back with: the first vector
     * that arrived after it. The batch tops that up with what came since, so a vector that arrives
     * while a transaction commits is scored by the next one, not the one after.
     */
    @Test
    void aBatchTakesTheVectorsThatCameAfterItsBufferedFetch(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        TopicPartition first = new TopicPartition(catalog.features().name(), 0);
        TopicPartition second = new TopicPartition(catalog.features().name(), 1);
        Map<String, Object> c = client(stack);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // The fetch a poll leaves behind waits at the broker until a record arrives.
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 60_000);
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                client(stack),
                                new ByteArraySerializer(),
                                new ByteArraySerializer());
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(first, second));
            consumer.seekToBeginning(List.of(first, second));
            send(producer, first, "a");
            List<String> batch = new ArrayList<>();
            await().atMost(TIMEOUT)
                    .until(
                            () -> {
                                batch.addAll(
                                        values(
                                                ScoringLoop.nextBatch(
                                                        consumer,
                                                        Duration.ofMillis(500),
                                                        256,
                                                        () -> 0)));
                                return batch.contains("a");
                            });
            assertThat(batch).containsExactly("a");

            // The fetch left behind comes back with b alone; c arrives after it. A poll that
            // takes longer than AT_ONCE_NANOS (a busy machine) is not topped up: then try again.
            boolean toppedUp = false;
            for (int i = 0; i < 5 && !toppedUp; i++) {
                send(producer, first, "b" + i);
                send(producer, second, "c" + i);
                List<String> got =
                        values(
                                ScoringLoop.nextBatch(
                                        consumer, Duration.ofSeconds(30), 256, () -> 0));
                toppedUp = got.size() == 2;
                if (toppedUp) {
                    assertThat(got).containsExactly("b" + i, "c" + i);
                } else {
                    assertThat(got).containsExactly("b" + i);
                    assertThat(
                                    values(
                                            ScoringLoop.nextBatch(
                                                    consumer,
                                                    Duration.ofSeconds(30),
                                                    256,
                                                    () -> 0)))
                            .containsExactly("c" + i);
                }
            }
            assertThat(toppedUp).as("a batch topped up in one of five tries").isTrue();

            // A rebalance during the top-up: none of it may be scored here. As above, a poll
            // slower than AT_ONCE_NANOS is not topped up and returns its record: try again.
            boolean dropped = false;
            for (int i = 0; i < 5 && !dropped; i++) {
                send(producer, first, "d" + i);
                AtomicInteger rebalances = new AtomicInteger();
                List<ConsumerRecords<byte[], byte[]>> got =
                        ScoringLoop.nextBatch(
                                consumer, Duration.ofSeconds(30), 256, rebalances::getAndIncrement);
                dropped = got == null;
                if (!dropped) {
                    assertThat(rebalances).as("no top-up, so no rebalance check").hasValue(0);
                    assertThat(values(got)).containsExactly("d" + i);
                }
            }
            assertThat(dropped)
                    .as("a batch whose top-up saw a rebalance dropped, in one of five tries")
                    .isTrue();
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, TopicPartition tp, String v)
            throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                tp.topic(),
                                tp.partition(),
                                null,
                                v.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    private static List<String> values(List<ConsumerRecords<byte[], byte[]>> batch) {
        List<String> values = new ArrayList<>();
        for (ConsumerRecords<byte[], byte[]> records : batch) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    @Test
    void fallsBackWithoutAModelThenSwapsToTheFirstThatPassesItsGates(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        ModelSwitch models = new ModelSwitch(gates(), new SimpleMeterRegistry());
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            ScoringLoop loop = replica(stack, catalog, models, ns, "solo");
            Thread t = new Thread(loop, "replica-solo");
            t.start();
            vectors(stack, catalog, 0, 100);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 100);
            assertThat(predictions(stack, catalog))
                    .allSatisfy(
                            p -> {
                                assertThat(p.getFallback()).isTrue();
                                assertThat(p.getScore()).isEqualTo(0.0);
                                assertThat(p.getFallbackReason()).isEqualTo("no model in service");
                            });

            ModelRelease nan =
                    TestModels.release(
                            1, TestModels.logistic(new float[] {Float.NaN, 0, 0, 0}, 0), WIDTH);
            publish(stack, catalog, nan);
            publish(
                    stack,
                    catalog,
                    TestModels.release(2, TestModels.logistic(new float[] {1, 1, 1, 1}, 0), WIDTH));
            await().atMost(TIMEOUT).until(() -> models.version() == 2);
            vectors(stack, catalog, 100, 200);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 200);
            List<Prediction> later =
                    predictions(stack, catalog).stream()
                            .filter(p -> Integer.parseInt(p.getTxnId().substring(4)) >= 100)
                            .toList();
            assertThat(later)
                    .hasSize(100)
                    .allSatisfy(
                            p -> {
                                assertThat(p.getFallback()).isFalse();
                                assertThat(p.getModelVersion()).isEqualTo(2L);
                            });
            loop.close();
        } finally {
            models.close();
        }
    }

    @Test
    void swapsTenReleasesUnderLoadWithoutLosingAPredictionOrGoingBack(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(
                        1, TestModels.logistic(new float[] {0.1f, 0.1f, 0.1f, 0.1f}, 0), WIDTH));
        ModelSwitch models = new ModelSwitch(gates(), new SimpleMeterRegistry());
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            ScoringLoop loop = replica(stack, catalog, models, ns, "swap");
            new Thread(loop, "replica-swap").start();
            Thread load =
                    new Thread(
                            () -> {
                                for (int i = 0; i < 10; i++) {
                                    vectors(stack, catalog, i * 300, (i + 1) * 300);
                                }
                            },
                            "load");
            load.start();
            for (long version = 2; version <= 11; version++) {
                publish(
                        stack,
                        catalog,
                        TestModels.release(
                                version,
                                TestModels.logistic(new float[] {version / 10f, 0, 0, 0}, 0),
                                WIDTH));
                long v = version;
                await().atMost(TIMEOUT).until(() -> models.version() == v);
            }
            load.join();
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 3_000);

            List<ConsumerRecord<String, Prediction>> records = predictionRecords(stack, catalog);
            assertThat(records).hasSize(3_000);
            assertThat(records.stream().map(r -> r.value().getTxnId()).distinct().count())
                    .isEqualTo(3_000);
            assertThat(records).allSatisfy(r -> assertThat(r.value().getFallback()).isFalse());
            Map<Integer, Long> lastVersion = new HashMap<>();
            for (ConsumerRecord<String, Prediction> r : records) {
                long v = r.value().getModelVersion();
                assertThat(v)
                        .as("model versions never go back on partition %d", r.partition())
                        .isGreaterThanOrEqualTo(lastVersion.getOrDefault(r.partition(), 0L));
                lastVersion.put(r.partition(), v);
            }
            assertThat(models.version()).isEqualTo(11);
            assertThat(records.stream().map(r -> r.value().getModelVersion()).distinct().count())
                    .as("swaps happened while vectors were being scored")
                    .isGreaterThan(1);
            loop.close();
        } finally {
            models.close();
        }
    }

    @Test
    void scoresANewReleaseInTheShadowForNVectorsBeforeServingIt(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ModelSwitch models =
                new ModelSwitch(
                        gates(),
                        meters,
                        3,
                        Duration.ofMinutes(1),
                        new ModelSwitch.ShadowSettings(300, 0.5, 0.5));
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            ScoringLoop loop = replica(stack, catalog, models, ns, "shadow");
            new Thread(loop, "replica-shadow").start();
            vectors(stack, catalog, 0, 200);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 200);

            // v2 scores the other way round: it disagrees with v1 on nearly every vector.
            publish(
                    stack,
                    catalog,
                    TestModels.release(
                            2, TestModels.logistic(new float[] {-1, 0, 0, 0}, 0), WIDTH));
            await().atMost(TIMEOUT)
                    .until(
                            () -> {
                                ModelSwitch.Live shadow = models.acquireShadow();
                                if (shadow != null) {
                                    shadow.scorer().release();
                                }
                                return shadow != null;
                            });
            assertThat(models.version()).isEqualTo(1);
            vectors(stack, catalog, 200, 600);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 600);
            await().atMost(TIMEOUT).until(() -> models.shadowVersion() < 0);
            assertThat(meters.get("tideline.serving.shadow.disagreement").gauge().value())
                    .as("shadow scores are compared with the served ones")
                    .isGreaterThan(0.9);
            assertThat(
                            meters.get("tideline.serving.model.refusals")
                                    .tag("gate", "shadow-disagreement")
                                    .counter()
                                    .count())
                    .as("v2 disagreed on more than half its vectors: refused")
                    .isEqualTo(1);
            assertThat(models.version()).isEqualTo(1);

            // v3 agrees with v1 on every vector: promoted after its 300.
            publish(
                    stack,
                    catalog,
                    TestModels.release(3, TestModels.logistic(new float[] {2, 0, 0, 0}, 0), WIDTH));
            await().atMost(TIMEOUT).until(() -> models.shadowVersion() == 3);
            vectors(stack, catalog, 600, 1_200);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 1_200);

            List<Prediction> after =
                    predictions(stack, catalog).stream()
                            .filter(p -> Integer.parseInt(p.getTxnId().substring(4)) >= 200)
                            .toList();
            assertThat(after).hasSize(1_000);
            assertThat(after).noneMatch(p -> p.getModelVersion() == 2L);
            long byV3 = after.stream().filter(p -> p.getModelVersion() == 3L).count();
            assertThat(after.size() - byV3)
                    .as("v1 serves while v2 and then v3 are in the shadow")
                    .isGreaterThanOrEqualTo(600);
            assertThat(byV3).as("then v3 serves").isPositive();
            assertThat(models.version()).isEqualTo(3);
            double compared = meters.get("tideline.serving.shadow.compared").counter().count();
            assertThat(compared).as("both shadows scored their 300").isGreaterThanOrEqualTo(600);
            assertThat(
                            meters.get("tideline.serving.shadow.scores")
                                    .tag("model", "shadow")
                                    .summary()
                                    .count())
                    .as("every compared score is in the shadow's distribution")
                    .isEqualTo((long) compared);
            loop.close();
        } finally {
            models.close();
        }
    }

    @Test
    void runsAsAServiceWithHealthAndMetrics(LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        Map<String, String> values = new HashMap<>();
        values.put("tideline.kafka.bootstrap-servers", stack.bootstrapServers());
        values.put("tideline.registry.url", stack.registryUrl());
        values.put("tideline.topics.prefix", ns.prefix());
        values.put("tideline.topics.partitions", "4");
        values.put(ServingConfig.GROUP_ID, ns.name("svc"));
        values.put(ServingConfig.SPEC_FINGERPRINT, TestModels.FINGERPRINT);
        values.put(ServingConfig.INPUT_WIDTH, String.valueOf(WIDTH));
        values.put(ServingConfig.HTTP_PORT, "0");
        try (ServingApp app = ServingApp.start(new ServingConfig(values))) {
            vectors(stack, catalog, 0, 50);
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 50);
            String base = "http://localhost:" + app.httpPort();
            HttpResponse<String> health = Http.get(base + "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"partitions\":4").contains("\"model_version\":1");
            String metrics = Http.get(base + "/metrics").body();
            assertThat(metrics)
                    .contains("tideline_serving_predictions_total 50.0")
                    .contains("tideline_serving_model_version 1.0")
                    .contains("tideline_serving_scoring_latency_seconds");
        }
    }

    @Test
    void aReplicaStartedAfterCompactionServesTheNewestPromotableRelease(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        String topic = catalog.models().name();
        // The log cleaner at work on models.v1: short segments, any dirt cleaned at once.
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", (Object) stack.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(
                            Map.of(
                                    resource,
                                    List.of(
                                            set("segment.ms", "100"),
                                            set("min.cleanable.dirty.ratio", "0.01"),
                                            set("min.compaction.lag.ms", "0"))))
                    .all()
                    .get();
        }
        byte[] onnx = TestModels.logistic(new float[] {1, 1, 1, 1}, 0);
        publish(stack, catalog, TestModels.release(1, onnx, WIDTH));
        // Two later releases refused by the training job's promotion gate.
        long refused =
                publish(
                        stack,
                        catalog,
                        ModelRelease.newBuilder(TestModels.release(2, onnx, WIDTH))
                                .setPromotable(false)
                                .build());
        publish(
                stack,
                catalog,
                ModelRelease.newBuilder(TestModels.release(3, onnx, WIDTH))
                        .setPromotable(false)
                        .build());
        // Releases of another model roll segments until the cleaner has removed the first
        // refused release, superseded by the second.
        long[] other = {0};
        await().atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> {
                            publish(
                                    stack,
                                    catalog,
                                    ModelRelease.newBuilder(
                                                    TestModels.release(++other[0], onnx, WIDTH))
                                            .setModelName("other")
                                            .build());
                            return Topics.readToEnd(
                                            stack.bootstrapServers(),
                                            topic,
                                            new StringDeserializer(),
                                            new StringDeserializer())
                                    .stream()
                                    .noneMatch(r -> r.offset() == refused);
                        });
        List<Long> kept =
                Topics.readToEnd(
                                stack.bootstrapServers(),
                                topic,
                                new StringDeserializer(),
                                catalog.models().valueSerde().deserializer())
                        .stream()
                        .filter(r -> r.value().getModelName().equals("fraud"))
                        .map(r -> r.value().getVersion())
                        .toList();
        assertThat(kept)
                .as("compaction keeps the newest promotable release and the newest refused one")
                .containsExactly(1L, 3L);

        // A replica started from scratch afterwards serves the promotable release.
        ModelSwitch models = new ModelSwitch(gates(), new SimpleMeterRegistry());
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            assertThat(models.version()).isEqualTo(1L);
        } finally {
            models.close();
        }
    }

    private static AlterConfigOp set(String key, String value) {
        return new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
    }

    @Test
    void rollsBackAModelThatFailsInServiceToThePreviousOne(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        ModelSwitch models =
                new ModelSwitch(gates(), new SimpleMeterRegistry(), 3, Duration.ofMinutes(1));
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            ScoringLoop loop = replica(stack, catalog, models, ns, "rollback");
            new Thread(loop, "replica-rollback").start();
            publish(stack, catalog, TestModels.release(2, TestModels.nanAtSeven(WIDTH), WIDTH));
            await().atMost(TIMEOUT).until(() -> models.version() == 2);
            int produced = failUntilRolledBack(stack, catalog, models);
            vectors(stack, catalog, 100, 120);
            int expected = produced + 20;
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= expected);

            List<Prediction> all = predictions(stack, catalog);
            assertThat(all).hasSize(expected);
            assertThat(all.stream().filter(Prediction::getFallback))
                    .isNotEmpty()
                    .allSatisfy(p -> assertThat(p.getFallbackReason()).contains("v2 scored NaN"));
            assertThat(
                            all.stream()
                                    .filter(
                                            p ->
                                                    p.getTxnId().compareTo("txn-100") >= 0
                                                            && p.getTxnId().length() == 7))
                    .hasSize(20)
                    .allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo(1L));
            loop.close();
        } finally {
            models.close();
        }
    }

    @Test
    void aRollbackOnOneReplicaRevokesTheReleaseForTheFleetAndForReplicasStartedLater(
            LocalStack stack, TestNamespace ns) throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        publish(
                stack,
                catalog,
                TestModels.release(1, TestModels.logistic(new float[] {1, 0, 0, 0}, 0), WIDTH));
        ModelSwitch scoring =
                new ModelSwitch(gates(), new SimpleMeterRegistry(), 3, Duration.ofMinutes(1));
        // A second replica that follows the models but sees none of the failing vectors.
        ModelSwitch other =
                new ModelSwitch(gates(), new SimpleMeterRegistry(), 3, Duration.ofMinutes(1));
        try (ModelWatcher a = watcher(stack, catalog, "replica-a", scoring);
                ModelWatcher b = watcher(stack, catalog, "replica-b", other)) {
            ScoringLoop loop = replica(stack, catalog, scoring, ns, "fleet");
            new Thread(loop, "replica-fleet").start();
            publish(stack, catalog, TestModels.release(2, TestModels.nanAtSeven(WIDTH), WIDTH));
            await().atMost(TIMEOUT).until(() -> scoring.version() == 2 && other.version() == 2);

            failUntilRolledBack(stack, catalog, scoring);
            // The replica that failed on v2 rolled back and told the fleet; the other stops
            // serving v2 on that word alone.
            await().atMost(Duration.ofSeconds(10)).until(() -> other.version() == 1);
            List<ConsumerRecord<String, ModelRevocation>> revocations =
                    Topics.readToEnd(
                            stack.bootstrapServers(),
                            catalog.revocations().name(),
                            new StringDeserializer(),
                            catalog.revocations().valueSerde().deserializer());
            assertThat(revocations).hasSize(1);
            assertThat(revocations.get(0).key()).isEqualTo("fraud/2");
            assertThat(revocations.get(0).value().getRevokedBy()).isEqualTo("replica-a");
            assertThat(revocations.get(0).value().getReason()).contains("failed batches");
            loop.close();

            // A replica started afterwards skips v2, newest release though it is.
            ModelSwitch later =
                    new ModelSwitch(gates(), new SimpleMeterRegistry(), 3, Duration.ofMinutes(1));
            try (ModelWatcher c = watcher(stack, catalog, "replica-c", later)) {
                assertThat(later.version()).isEqualTo(1);
                // Offered again (a retry, a re-publication), it is refused.
                assertThat(later.offer(TestModels.release(2, TestModels.nanAtSeven(WIDTH), WIDTH)))
                        .isFalse();
            } finally {
                later.close();
            }
        } finally {
            scoring.close();
            other.close();
        }
    }

    @Test
    void deadLettersVectorsItCannotScoreAndKeepsGoing(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns);
        ModelSwitch models = new ModelSwitch(gates(), new SimpleMeterRegistry());
        try (ModelWatcher watcher = watcher(stack, catalog, "test", models)) {
            ScoringLoop loop = replica(stack, catalog, models, ns, "dlq");
            new Thread(loop, "replica-dlq").start();
            try (KafkaProducer<byte[], byte[]> raw =
                    new KafkaProducer<>(
                            client(stack), new ByteArraySerializer(), new ByteArraySerializer())) {
                raw.send(
                        new ProducerRecord<>(
                                catalog.features().name(),
                                "e1".getBytes(StandardCharsets.UTF_8),
                                "not avro".getBytes(StandardCharsets.UTF_8)));
                raw.flush();
            }
            FeatureVector other =
                    FeatureVector.newBuilder()
                            .setTxnId("other-spec")
                            .setEntityId("e2")
                            .setEventTime(Instant.now())
                            .setSpecId("other")
                            .setSpecVersion(9)
                            .setSpecFingerprint("b".repeat(64))
                            .setValues(List.of(1f, 2f, 3f, 4f))
                            .setMerchantId("m")
                            .setAmountMinor(1)
                            .setCurrency("EUR")
                            .setComputedAt(Instant.now())
                            .build();
            try (KafkaProducer<String, FeatureVector> p =
                    new KafkaProducer<>(
                            client(stack),
                            new StringSerializer(),
                            catalog.features().valueSerde().serializer())) {
                p.send(new ProducerRecord<>(catalog.features().name(), "e2", other));
                p.flush();
            }
            vectors(stack, catalog, 0, 10);

            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= 10);
            List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(stack, catalog, 2);
            assertThat(dead)
                    .extracting(r -> DeadLetter.header(r.headers(), DeadLetter.REASON))
                    .containsExactlyInAnyOrder("undecodable", "unknown-spec");
            assertThat(dead)
                    .allSatisfy(
                            r ->
                                    assertThat(
                                                    DeadLetter.header(
                                                            r.headers(), DeadLetter.SOURCE_TOPIC))
                                            .isEqualTo(catalog.features().name()));
            assertThat(predictions(stack, catalog)).hasSize(10);
            loop.close();
        } finally {
            models.close();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters(
            LocalStack stack, TopicCatalog catalog, int atLeast) {
        return Topics.readAtLeast(
                stack.bootstrapServers(),
                catalog.deadLetter(catalog.features()).name(),
                atLeast,
                TIMEOUT);
    }

    private static ModelGates gates() {
        return new ModelGates(
                TestModels.FINGERPRINT, WIDTH, new ScoringOptions(ScoringDevice.AUTO, 1, false));
    }

    private static ScoringLoop replica(
            LocalStack stack,
            TopicCatalog catalog,
            ModelSwitch models,
            TestNamespace ns,
            String id) {
        Map<String, Object> client = client(stack);
        client.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 5_000);
        client.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        client.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        return new ScoringLoop(
                client,
                catalog,
                models,
                new ScoringLoop.Settings(
                        ns.name("serving"),
                        ns.name("serving-" + id),
                        TestModels.FINGERPRINT,
                        WIDTH,
                        0.0,
                        256),
                new SimpleMeterRegistry());
    }

    private static Map<String, Object> client(LocalStack stack) {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", stack.bootstrapServers());
        return c;
    }

    private static TopicCatalog catalog(LocalStack stack, TestNamespace ns) {
        return TestCatalogs.bootstrapped(stack, ns.prefix(), 4);
    }

    /** Publishes {@code release} as the training job does; returns its offset. */
    private static long publish(LocalStack stack, TopicCatalog catalog, ModelRelease release)
            throws Exception {
        try (KafkaProducer<String, ModelRelease> p =
                new KafkaProducer<>(
                        client(stack),
                        new StringSerializer(),
                        catalog.models().valueSerde().serializer())) {
            return p.send(
                            new ProducerRecord<>(
                                    catalog.models().name(), ModelReleaseKey.of(release), release))
                    .get()
                    .offset();
        }
    }

    private static void vectors(LocalStack stack, TopicCatalog catalog, int from, int to) {
        vectors(stack, catalog, from, to, Float.NaN);
    }

    /** Vectors txn-from .. txn-(to-1); the first value is {@code first} unless that is NaN. */
    private static void vectors(
            LocalStack stack, TopicCatalog catalog, int from, int to, float first) {
        Random random = new Random(from);
        try (KafkaProducer<String, FeatureVector> p =
                new KafkaProducer<>(
                        client(stack),
                        new StringSerializer(),
                        catalog.features().valueSerde().serializer())) {
            for (int i = from; i < to; i++) {
                List<Float> values = new ArrayList<>();
                for (int j = 0; j < WIDTH; j++) {
                    values.add(
                            j == 0 && !Float.isNaN(first) ? first : (float) random.nextGaussian());
                }
                FeatureVector v =
                        FeatureVector.newBuilder()
                                .setTxnId("txn-" + i)
                                .setEntityId("e" + (i % 37))
                                .setEventTime(Instant.now())
                                .setSpecId("payments")
                                .setSpecVersion(1)
                                .setSpecFingerprint(TestModels.FINGERPRINT)
                                .setValues(values)
                                .setMerchantId("m")
                                .setAmountMinor(100)
                                .setCurrency("EUR")
                                .setComputedAt(Instant.now())
                                .build();
                p.send(new ProducerRecord<>(catalog.features().name(), v.getEntityId(), v));
            }
            p.flush();
        }
    }

    /** Every committed prediction, read_committed. */
    private static List<Prediction> predictions(LocalStack stack, TopicCatalog catalog) {
        return predictionRecords(stack, catalog).stream().map(ConsumerRecord::value).toList();
    }

    /** Every committed prediction record, in offset order per partition. */
    private static List<ConsumerRecord<String, Prediction>> predictionRecords(
            LocalStack stack, TopicCatalog catalog) {
        return Topics.readToEnd(
                stack.bootstrapServers(),
                catalog.predictions().name(),
                new StringDeserializer(),
                catalog.predictions().valueSerde().deserializer());
    }

    /** A started watcher of model {@code fraud} for a replica named {@code instance}. */
    private static ModelWatcher watcher(
            LocalStack stack, TopicCatalog catalog, String instance, ModelSwitch models) {
        return new ModelWatcher(
                        client(stack),
                        catalog.models(),
                        catalog.revocations(),
                        "fraud",
                        instance,
                        models)
                .start();
    }

    /**
     * Rounds of vectors that v2 ({@link TestModels#nanAtSeven}) cannot score, until three failing
     * batches roll the replica back to v1; how many vectors were produced.
     */
    private static int failUntilRolledBack(
            LocalStack stack, TopicCatalog catalog, ModelSwitch models) throws Exception {
        int produced = 0;
        while (models.version() == 2 && produced < 100) {
            int from = produced;
            vectors(stack, catalog, from, from + 10, 7f);
            produced += 10;
            await().atMost(TIMEOUT).until(() -> predictions(stack, catalog).size() >= from + 10);
        }
        await().atMost(TIMEOUT).until(() -> models.version() == 1);
        return produced;
    }
}
