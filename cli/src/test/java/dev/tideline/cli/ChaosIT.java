package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.connectors.CdcMain;
import dev.tideline.features.FeatureMain;
import dev.tideline.features.FeatureSpec;
import dev.tideline.localstack.KafkaProcesses;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingMain;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.simulator.Target;
import dev.tideline.testkit.ChildJvm;
import dev.tideline.testkit.Http;
import dev.tideline.testkit.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline with each component in a process of its own, faults injected while payments flow,
 * and every input counted afterwards: Kafka's transactions system test and the Flink operations
 * playground, for the whole pipeline. Three KRaft nodes (replication 3, {@code min.insync.replicas}
 * 2), two feature-stage instances, two scoring replicas, the CDC runner and the training job run as
 * child JVMs; the simulator writes payments, accounts and chargebacks. Each fault is followed by a
 * restart of what it hit, and the test measures how long until that component's output moves again.
 * At the end every payment has exactly one vector and one prediction (read_committed, by
 * transaction id), model versions have no gap or duplicate, and every chargeback committed to the
 * database reached {@code cdc.labels}.
 */
@Tag("integration")
class ChaosIT {

    private static final Logger log = LoggerFactory.getLogger(ChaosIT.class);

    /** A process of the pipeline: how to start it again as it was. */
    private final class Part {
        final String name;
        final Class<?> main;
        final Map<String, String> settings;
        final int httpPort;
        Process process;

        Part(String name, Class<?> main, Map<String, String> settings, int httpPort) {
            this.name = name;
            this.main = main;
            this.settings = settings;
            this.httpPort = httpPort;
        }

        void start() throws Exception {
            Path logFile = logs.resolve("chaos-" + name + ".log");
            if (main == null) {
                process =
                        TrainingProcess.start(
                                ModuleJvm.TRAINING.builtJar(),
                                settings,
                                work.resolve(name + ".properties"));
            } else {
                process = ChildJvm.start(main, settings, "768m", logFile);
            }
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        boolean healthy() {
            try {
                return process.isAlive()
                        && Http.get("http://localhost:" + httpPort + "/health").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }
    }

    /** Committed records of a set of topics, counted as a read_committed reader sees them. */
    private static final class Progress implements AutoCloseable {
        private final Map<String, AtomicLong> counts = new TreeMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Progress(Map<String, Object> client, List<String> topics) {
            topics.forEach(t -> counts.put(t, new AtomicLong()));
            thread =
                    new Thread(
                            () -> {
                                Map<String, Object> c = new HashMap<>(client);
                                c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                                c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
                                try (KafkaConsumer<byte[], byte[]> consumer =
                                        new KafkaConsumer<>(
                                                c,
                                                new ByteArrayDeserializer(),
                                                new ByteArrayDeserializer())) {
                                    List<TopicPartition> partitions = new ArrayList<>();
                                    for (String t : topics) {
                                        consumer.partitionsFor(t)
                                                .forEach(
                                                        p ->
                                                                partitions.add(
                                                                        new TopicPartition(
                                                                                t, p.partition())));
                                    }
                                    consumer.assign(partitions);
                                    consumer.seekToBeginning(partitions);
                                    while (running.get()) {
                                        for (ConsumerRecord<byte[], byte[]> r :
                                                consumer.poll(Duration.ofMillis(200))) {
                                            counts.get(r.topic()).incrementAndGet();
                                        }
                                    }
                                } catch (Exception e) {
                                    log.error("chaos progress reader failed", e);
                                }
                            },
                            "chaos-progress");
            thread.setDaemon(true);
            thread.start();
        }

        long count(String topic) {
            return counts.get(topic).get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    private Path logs;
    private Path work;

    @Test
    void everyPaymentHasOneVectorAndOnePredictionThroughKillsAndPauses(@TempDir Path dir)
            throws Exception {
        logs = Files.createDirectories(Path.of("target", "child-logs"));
        work = dir;
        try (KafkaProcesses kafka = KafkaProcesses.start(3, dir.resolve("kafka"));
                LocalStack stack =
                        LocalStack.builder()
                                .workDir(dir.resolve("stack"))
                                .externalKafka(kafka.bootstrapServers())
                                .start()) {
            run(kafka, stack);
        }
    }

    private void run(KafkaProcesses kafka, LocalStack stack) throws Exception {
        Map<String, String> base = new HashMap<>();
        base.put(ClientSettings.BOOTSTRAP, kafka.bootstrapServers());
        base.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        base.put(TopicCatalogConfig.REPLICATION_FACTOR, "3");
        SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), base);
        TopicCatalog catalog =
                TopicCatalog.create(ClientSettings.catalogConfig(Map.of(), base), registry);
        Map<String, Object> client = new HashMap<>();
        client.put("bootstrap.servers", kafka.bootstrapServers());
        try (Admin admin = Admin.create(client)) {
            TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(90));
        }
        FeatureSpec spec = Settings.featureSpec(base);
        Duration maturity = Duration.ofMinutes(2);

        Map<String, Part> parts = new LinkedHashMap<>();
        Map<String, String> cdc = new HashMap<>(base);
        cdc.put("tideline.cdc.jdbc-url", stack.jdbc().url());
        cdc.put("tideline.cdc.user", stack.jdbc().user());
        cdc.put("tideline.cdc.password", stack.jdbc().password());
        cdc.put("tideline.cdc.migrate", "true");
        cdc.put("tideline.cdc.offsets-file", work.resolve("cdc-offsets.dat").toString());
        parts.put("cdc", part("cdc", CdcMain.class, cdc, "tideline.cdc.http.port"));
        for (int i = 0; i < 2; i++) {
            Map<String, String> f = new HashMap<>(base);
            f.put("tideline.features.state-dir", work.resolve("features-" + i).toString());
            parts.put(
                    "features-" + i,
                    part("features-" + i, FeatureMain.class, f, "tideline.features.http.port"));
        }
        for (int i = 0; i < 2; i++) {
            Map<String, String> s = new HashMap<>(base);
            s.put("tideline.serving.state-dir", work.resolve("serving").toString());
            s.put("tideline.serving.instance-id", "chaos-" + i);
            s.put("tideline.serving.spec-fingerprint", spec.fingerprint());
            s.put("tideline.serving.input-width", String.valueOf(spec.size()));
            parts.put(
                    "serving-" + i,
                    part("serving-" + i, ServingMain.class, s, "tideline.serving.http.port"));
        }
        Map<String, String> t = TrainingProcess.settings(base);
        t.put("tideline.training.maturity-ms", String.valueOf(maturity.toMillis()));
        t.put("tideline.training.out-of-orderness-ms", String.valueOf(maturity.toMillis() / 2));
        t.put("tideline.training.positives", "at-maturity");
        t.put(
                "tideline.training.checkpoint-dir",
                work.resolve("training-checkpoints").toUri().toString());
        parts.put("training", part("training", null, t, Demo.TRAINING_HTTP_PORT));

        try {
            for (Part p : parts.values()) {
                p.start();
            }
            awaitHealthy(parts.values(), Duration.ofMinutes(3));

            Duration history = Duration.ofMinutes(3);
            SimulationSettings d = SimulationSettings.defaults();
            SimulationSettings simulation =
                    new SimulationSettings(
                                    7L,
                                    500,
                                    100,
                                    20,
                                    history,
                                    d.fraudRate(),
                                    d.mix(),
                                    d.compromise(),
                                    d.chargebackMin(),
                                    d.chargebackMax())
                            .scaledTo(history);
            String predictions = catalog.predictions().name();
            String vectors = catalog.features().name();
            String labels = catalog.labels().name();
            String sync = catalog.trainingSync().name();
            Simulator simulator;
            Map<String, Double> recovery = new LinkedHashMap<>();
            try (Progress progress =
                    new Progress(client, List.of(predictions, vectors, labels, sync))) {
                simulator =
                        Simulator.start(
                                simulation,
                                new Target(
                                        client,
                                        catalog,
                                        stack.jdbc().url(),
                                        stack.jdbc().user(),
                                        stack.jdbc().password()),
                                Duration.ZERO,
                                Duration.ofMinutes(2),
                                null);
                try {
                    awaitUntil(
                            "the simulator goes live",
                            () -> simulator.phase() == Simulator.Phase.LIVE,
                            Duration.ofMinutes(4),
                            simulator);
                    awaitMoving(progress, predictions, Duration.ofMinutes(2));

                    recovery.put(
                            "kill -9 broker",
                            fault(
                                    progress,
                                    predictions,
                                    () -> kafka.kill(2),
                                    () -> kafka.restart(2)));
                    recovery.put(
                            "SIGSTOP broker",
                            fault(
                                    progress,
                                    predictions,
                                    () -> {
                                        kafka.pause(1);
                                        TimeUnit.MILLISECONDS.sleep( // long enough to leave the ISR
                                                KafkaProcesses.REPLICA_LAG.toMillis() + 4_000);
                                    },
                                    () -> kafka.resume(1)));
                    recovery.put(
                            "kill -9 feature instance",
                            fault(
                                    progress,
                                    vectors,
                                    parts.get("features-0")::kill,
                                    parts.get("features-0")::start));
                    recovery.put(
                            "kill -9 scoring replica",
                            fault(
                                    progress,
                                    predictions,
                                    parts.get("serving-0")::kill,
                                    parts.get("serving-0")::start));
                    recovery.put(
                            "kill -9 training job",
                            fault(
                                    progress,
                                    sync,
                                    parts.get("training")::kill,
                                    parts.get("training")::start));
                    recovery.put(
                            "kill -9 CDC runner",
                            fault(
                                    progress,
                                    labels,
                                    parts.get("cdc")::kill,
                                    parts.get("cdc")::start));
                } finally {
                    simulator.close();
                }
                long sent = simulator.counts().payments.get();
                awaitUntil(
                        "every payment predicted",
                        () -> progress.count(predictions) >= sent,
                        Duration.ofMinutes(4),
                        null);
                log.info("Chaos: {} payments; recovery seconds by fault {}", sent, recovery);
                verifyCounts(client, catalog, stack, sent);
            }
        } finally {
            for (Part p : parts.values()) {
                if (p.process != null) {
                    p.kill();
                }
            }
        }
    }

    private Part part(String name, Class<?> main, Map<String, String> settings, String portKey) {
        int port = Http.freePort();
        settings.put(portKey, String.valueOf(port));
        return new Part(name, main, settings, port);
    }

    private interface Step {
        void run() throws Exception;
    }

    /**
     * Injects a fault, then restores what it hit; the seconds from the restore until {@code output}
     * moves again.
     */
    private static double fault(Progress progress, String output, Step inject, Step restore)
            throws Exception {
        inject.run();
        TimeUnit.SECONDS.sleep(3); // load runs on while the component is down
        restore.run();
        long restored = System.nanoTime();
        long before = progress.count(output);
        awaitMoving(progress, output, Duration.ofMinutes(3), before);
        return (System.nanoTime() - restored) / 1e9;
    }

    private static void awaitMoving(Progress progress, String topic, Duration timeout)
            throws Exception {
        awaitMoving(progress, topic, timeout, progress.count(topic));
    }

    private static void awaitMoving(Progress progress, String topic, Duration timeout, long from)
            throws Exception {
        awaitUntil(topic + " moves", () -> progress.count(topic) > from, timeout, null);
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitUntil(
            String what, Condition condition, Duration timeout, Simulator simulator)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (simulator != null && simulator.phase() == Simulator.Phase.FAILED) {
                throw new AssertionError("the simulator failed while waiting until " + what);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling the pipeline's progress
        }
    }

    private static void awaitHealthy(Iterable<Part> parts, Duration timeout) throws Exception {
        for (Part p : parts) {
            awaitUntil(p.name + " is healthy", p::healthy, timeout, null);
        }
    }

    private static void verifyCounts(
            Map<String, Object> client, TopicCatalog catalog, LocalStack stack, long sent)
            throws Exception {
        ExactlyOnce.assertOneVectorAndOnePredictionEach(client, catalog, sent);

        Map<String, List<Long>> versions = new HashMap<>();
        for (ConsumerRecord<String, ModelRelease> r :
                Topics.readToEnd(
                        client,
                        catalog.models().name(),
                        new StringDeserializer(),
                        catalog.models().valueSerde().deserializer())) {
            versions.computeIfAbsent(r.value().getModelName(), m -> new ArrayList<>())
                    .add(r.value().getVersion());
        }
        assertThat(versions).as("models released").isNotEmpty();
        versions.forEach(
                (model, list) -> {
                    List<Long> expected = new ArrayList<>();
                    for (long v = 1; v <= list.size(); v++) {
                        expected.add(v);
                    }
                    assertThat(list.stream().sorted().toList())
                            .as("versions of %s, without gap or duplicate", model)
                            .isEqualTo(expected);
                });

        Set<String> labelled = new HashSet<>();
        for (ConsumerRecord<String, Label> r :
                Topics.readToEnd(
                        client,
                        catalog.labels().name(),
                        new StringDeserializer(),
                        catalog.labels().valueSerde().deserializer())) {
            labelled.add(r.value().getTxnId());
        }
        Set<String> committed = new HashSet<>();
        try (Connection db =
                        DriverManager.getConnection(
                                stack.jdbc().url(), stack.jdbc().user(), stack.jdbc().password());
                Statement s = db.createStatement();
                ResultSet rows = s.executeQuery("SELECT txn_id FROM chargebacks")) {
            while (rows.next()) {
                committed.add(rows.getString(1));
            }
        }
        assertThat(committed).as("chargebacks in the database").isNotEmpty();
        assertThat(labelled).as("chargebacks on cdc.labels").containsAll(committed);
    }
}
