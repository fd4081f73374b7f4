package dev.tideline.cli;

import dev.tideline.connectors.CdcMain;
import dev.tideline.features.FeatureMain;
import dev.tideline.features.FeatureSpec;
import dev.tideline.localstack.JvmProcess;
import dev.tideline.localstack.KafkaProcesses;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingMain;
import dev.tideline.simulator.GroundTruth;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.simulator.Target;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline with each component in a process of its own, faults injected while payments flow,
 * and every input counted afterwards: Kafka's transactions system test and the Flink operations
 * playground, for the whole pipeline. Three KRaft nodes (replication 3, {@code min.insync.replicas}
 * 2), two feature-stage instances, two scoring replicas, the CDC runner and the training job run as
 * child JVMs beside the local stack's registry and PostgreSQL; the simulator writes payments,
 * accounts and chargebacks. Each fault is followed by a restart of what it hit, and the run
 * measures how long until that component's output moves again.
 *
 * <p>At the end every payment must have exactly one vector and one prediction (read_committed, by
 * transaction id), model versions no gap or duplicate, every chargeback committed to the database
 * must be on {@code cdc.labels}, and a read_committed reader that ran throughout must have seen no
 * record that is not in the topics at the end (one that was later aborted).
 */
final class ChaosRun implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);

    /** The kinds of fault, each injected while load runs and followed by a restart. */
    enum Fault {
        BROKER_KILL("kill -9 broker"),
        BROKER_PAUSE("SIGSTOP broker"),
        FEATURES_KILL("kill -9 feature instance"),
        SERVING_KILL("kill -9 scoring replica"),
        TRAINING_KILL("kill -9 training job"),
        CDC_KILL("kill -9 CDC runner"),
        POSTGRES_RESTART("PostgreSQL restart"),
        ALL_KILL("kill -9 of every broker and engine at once");

        final String description;

        Fault(String description) {
            this.description = description;
        }

        /** For example {@code broker-kill}. */
        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Fault ofTag(String tag) {
            for (Fault f : values()) {
                if (f.tag().equals(tag)) {
                    return f;
                }
            }
            throw new IllegalArgumentException(
                    "unknown fault '" + tag + "'; the faults are " + Arrays.toString(tags()));
        }

        static String[] tags() {
            return Arrays.stream(values()).map(Fault::tag).toArray(String[]::new);
        }
    }

    /**
     * What to run.
     *
     * @param seed the simulation's seed and the fault schedule's
     * @param duration how long to inject faults once load runs; every kind in {@code kinds} is
     *     injected once (in an order drawn from the seed) however short, then kinds drawn at random
     *     until the duration has passed
     * @param rate payments per second of live load
     */
    record Options(
            long seed,
            Duration duration,
            List<Fault> kinds,
            double rate,
            Duration history,
            Path workDir,
            Path logDir) {}

    /** One injected fault: what it hit, and the seconds from its restart until output moved. */
    record Injected(Fault fault, String target, double recoverySeconds) {}

    /** What a run counted. */
    record Result(
            long seed,
            long payments,
            List<Injected> faults,
            long vectorsLost,
            long vectorsDuplicated,
            long predictionsLost,
            long predictionsDuplicated,
            List<String> modelVersionProblems,
            long chargebacksCommitted,
            long chargebacksMissing,
            long concurrentlySeen,
            long seenThenAborted,
            double seconds) {

        long lost() {
            return vectorsLost + predictionsLost + chargebacksMissing;
        }

        long duplicated() {
            return vectorsDuplicated + predictionsDuplicated;
        }

        boolean clean() {
            return lost() == 0
                    && duplicated() == 0
                    && modelVersionProblems.isEmpty()
                    && seenThenAborted == 0;
        }

        double maxRecoverySeconds() {
            return faults.stream().mapToDouble(Injected::recoverySeconds).max().orElse(0);
        }
    }

    /** A process of the pipeline: how to start it again as it was. */
    private final class Part {
        final String name;
        final Class<?> main;
        final Map<String, String> settings;
        final int httpPort;
        Process process;

        Part(String name, Class<?> main, Map<String, String> settings, String portKey)
                throws Exception {
            this.name = name;
            this.main = main;
            this.settings = settings;
            this.httpPort = BenchRuns.freePort();
            settings.put(portKey, String.valueOf(httpPort));
        }

        void start() throws Exception {
            Path log = options.logDir().resolve("chaos-" + name + ".log");
            if (main == null) {
                process =
                        TrainingProcess.start(
                                ModuleJvm.TRAINING.builtJar(),
                                settings,
                                options.workDir().resolve(name + ".properties"),
                                log);
            } else {
                process = JvmProcess.startEngine(main, settings, "768m", log, List.of());
            }
        }

        void kill() throws InterruptedException {
            JvmProcess.kill(process);
        }

        boolean healthy() {
            try {
                return process.isAlive()
                        && http.send(
                                                HttpRequest.newBuilder(
                                                                URI.create(
                                                                        "http://localhost:"
                                                                                + httpPort
                                                                                + "/health"))
                                                        .timeout(Duration.ofSeconds(2))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200;
            } catch (Exception e) {
                return false;
            }
        }
    }

    private final Options options;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Part> parts = new LinkedHashMap<>();
    private Admin admin;

    private ChaosRun(Options options) {
        this.options = options;
    }

    /** Runs the pipeline under faults and counts; the caller judges the result. */
    static Result run(Options options) throws Exception {
        if (ModuleJvm.TRAINING.builtJar() == null) {
            throw new IllegalStateException(
                    "the training module is not built; build it with: mvn -q package -DskipTests"
                            + " -pl flink-training -am");
        }
        Files.createDirectories(options.logDir());
        long started = System.nanoTime();
        try (KafkaProcesses kafka = KafkaProcesses.start(3, options.workDir().resolve("kafka"));
                LocalStack stack =
                        LocalStack.builder()
                                .workDir(options.workDir().resolve("stack"))
                                .externalKafka(kafka.bootstrapServers())
                                .start()) {
            try (ChaosRun run = new ChaosRun(options)) {
                return run.run(kafka, stack, started);
            }
        }
    }

    private Result run(KafkaProcesses kafka, LocalStack stack, long started) throws Exception {
        Map<String, String> base = new HashMap<>();
        base.put(ClientSettings.BOOTSTRAP, kafka.bootstrapServers());
        base.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        base.put(TopicCatalogConfig.REPLICATION_FACTOR, "3");
        SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), base);
        TopicCatalog catalog =
                TopicCatalog.create(ClientSettings.catalogConfig(Map.of(), base), registry);
        Map<String, Object> client = new HashMap<>();
        client.put("bootstrap.servers", kafka.bootstrapServers());
        Map<String, Object> adminClient = new HashMap<>(client);
        adminClient.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        adminClient.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        admin = Admin.create(adminClient);
        TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(90));
        FeatureSpec spec = Settings.featureSpec(base);
        Duration maturity = Duration.ofMinutes(2);
        Path work = options.workDir();

        Map<String, String> cdc = new HashMap<>(base);
        cdc.put("tideline.cdc.jdbc-url", stack.jdbc().url());
        cdc.put("tideline.cdc.user", stack.jdbc().user());
        cdc.put("tideline.cdc.password", stack.jdbc().password());
        cdc.put("tideline.cdc.migrate", "true");
        cdc.put("tideline.cdc.offsets-file", work.resolve("cdc-offsets.dat").toString());
        add(new Part("cdc", CdcMain.class, cdc, "tideline.cdc.http.port"));
        for (int i = 0; i < 2; i++) {
            Map<String, String> f = new HashMap<>(base);
            f.put("tideline.features.state-dir", work.resolve("features-" + i).toString());
            f.put("tideline.features.instance-id", "chaos-features-" + i);
            add(new Part("features-" + i, FeatureMain.class, f, "tideline.features.http.port"));
        }
        for (int i = 0; i < 2; i++) {
            Map<String, String> s = new HashMap<>(base);
            s.put("tideline.serving.state-dir", work.resolve("serving").toString());
            s.put("tideline.serving.instance-id", "chaos-" + i);
            s.put("tideline.serving.spec-fingerprint", spec.fingerprint());
            s.put("tideline.serving.input-width", String.valueOf(spec.size()));
            add(new Part("serving-" + i, ServingMain.class, s, "tideline.serving.http.port"));
        }
        Map<String, String> t = TrainingProcess.settings(base);
        t.put("tideline.training.maturity-ms", String.valueOf(maturity.toMillis()));
        t.put("tideline.training.out-of-orderness-ms", String.valueOf(maturity.toMillis() / 2));
        t.put("tideline.training.positives", "at-maturity");
        t.put(
                "tideline.training.checkpoint-dir",
                work.resolve("training-checkpoints").toUri().toString());
        add(new Part("training", null, t, Demo.TRAINING_HTTP_PORT));

        Random random = new Random(options.seed());
        try {
            for (Part p : parts.values()) {
                p.start();
            }
            awaitHealthy(parts.values(), Duration.ofMinutes(3));

            SimulationSettings d = SimulationSettings.defaults();
            SimulationSettings simulation =
                    new SimulationSettings(
                                    options.seed(),
                                    500,
                                    100,
                                    options.rate(),
                                    options.history(),
                                    d.fraudRate(),
                                    d.mix(),
                                    d.compromise(),
                                    d.chargebackMin(),
                                    d.chargebackMax())
                            .scaledTo(options.history());
            String predictions = catalog.predictions().name();
            String vectors = catalog.features().name();
            String sync = catalog.trainingSync().name();
            List<String> cdcOut = List.of(catalog.labels().name(), catalog.accounts().name());
            List<Injected> injected = new ArrayList<>();
            Simulator simulator;
            try (Progress progress =
                    new Progress(
                            client,
                            List.of(
                                    predictions,
                                    vectors,
                                    sync,
                                    catalog.labels().name(),
                                    catalog.accounts().name()),
                            Set.of(predictions, vectors))) {
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
                    awaitMoving(progress, List.of(predictions), Duration.ofMinutes(2), simulator);
                    long from = System.nanoTime();
                    List<Fault> schedule = new ArrayList<>(options.kinds());
                    Collections.shuffle(schedule, random);
                    for (int i = 0;
                            i < schedule.size()
                                    || System.nanoTime() - from < options.duration().toNanos();
                            i++) {
                        Fault fault =
                                i < schedule.size()
                                        ? schedule.get(i)
                                        : options.kinds()
                                                .get(random.nextInt(options.kinds().size()));
                        Injected done =
                                inject(
                                        fault,
                                        random,
                                        kafka,
                                        stack,
                                        progress,
                                        simulator,
                                        predictions,
                                        vectors,
                                        sync,
                                        cdcOut);
                        log.info(
                                "Chaos: {} ({}): output moved {} s after the restart",
                                fault.description,
                                done.target(),
                                String.format(Locale.ROOT, "%.1f", done.recoverySeconds()));
                        injected.add(done);
                    }
                } finally {
                    simulator.close();
                }
                long sent = simulator.counts().payments.get();
                awaitUntil(
                        "every payment predicted",
                        () -> progress.count(predictions) >= sent,
                        Duration.ofMinutes(4),
                        null);
                // Draining includes the training job's first release, committed with a checkpoint:
                // a short run may end before it, and the versions' check needs one.
                String models = catalog.models().name();
                awaitUntil(
                        "a model released on " + models,
                        () -> !read(client, models, new ByteArrayDeserializer()).isEmpty(),
                        Duration.ofMinutes(3),
                        null);
                // The concurrent reader stops before the final read, which must then hold all it
                // saw.
                progress.close();
                log.info("Chaos: {} payments sent; counting", sent);
                return count(
                        options.seed(),
                        client,
                        catalog,
                        stack,
                        simulator.truth(),
                        sent,
                        injected,
                        progress,
                        (System.nanoTime() - started) / 1e9);
            }
        } finally {
            for (Part p : parts.values()) {
                if (p.process != null) {
                    p.kill();
                }
            }
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }

    private void add(Part part) {
        parts.put(part.name, part);
    }

    private interface Step {
        void run() throws Exception;
    }

    private Injected inject(
            Fault fault,
            Random random,
            KafkaProcesses kafka,
            LocalStack stack,
            Progress progress,
            Simulator simulator,
            String predictions,
            String vectors,
            String sync,
            List<String> cdc)
            throws Exception {
        int node = random.nextInt(kafka.size());
        String instance = String.valueOf(random.nextInt(2));
        return switch (fault) {
            case BROKER_KILL ->
                    fault(
                            fault,
                            "node " + (node + 1),
                            progress,
                            simulator,
                            List.of(predictions),
                            () -> kafka.kill(node),
                            () -> kafka.restart(node));
            case BROKER_PAUSE ->
                    fault(
                            fault,
                            "node " + (node + 1),
                            progress,
                            simulator,
                            List.of(predictions),
                            () -> {
                                kafka.pause(node);
                                // long enough to leave the ISR
                                TimeUnit.MILLISECONDS.sleep(
                                        KafkaProcesses.REPLICA_LAG.toMillis() + 4_000);
                            },
                            () -> kafka.resume(node));
            case FEATURES_KILL ->
                    restartPart(fault, "features-" + instance, vectors, progress, simulator);
            case SERVING_KILL ->
                    restartPart(fault, "serving-" + instance, predictions, progress, simulator);
            case TRAINING_KILL -> restartPart(fault, "training", sync, progress, simulator);
            case CDC_KILL ->
                    fault(
                            fault,
                            "cdc",
                            progress,
                            simulator,
                            cdc,
                            parts.get("cdc")::kill,
                            parts.get("cdc")::start);
            case POSTGRES_RESTART ->
                    fault(
                            fault,
                            "postgres",
                            progress,
                            simulator,
                            cdc,
                            stack::restartPostgres,
                            () -> {});
            case ALL_KILL ->
                    fault(
                            fault,
                            "3 brokers, " + parts.size() + " engines",
                            progress,
                            simulator,
                            List.of(predictions),
                            () -> {
                                for (Part p : parts.values()) {
                                    p.process.destroyForcibly();
                                }
                                kafka.killAll();
                                for (Part p : parts.values()) {
                                    p.kill();
                                }
                            },
                            () -> {
                                kafka.restartAll();
                                for (Part p : parts.values()) {
                                    p.start();
                                }
                            });
        };
    }

    private Injected restartPart(
            Fault fault, String name, String output, Progress progress, Simulator simulator)
            throws Exception {
        Part part = parts.get(name);
        return fault(fault, name, progress, simulator, List.of(output), part::kill, part::start);
    }

    /**
     * Injects a fault, lets load run on for three seconds, then restores what it hit; the seconds
     * from the restore until {@code outputs} hold a record committed after it: the concurrent
     * reader reads one at or past the last stable offsets they had once the cluster answered (a
     * reader catching up on records committed before does not count, nor the abort markers a
     * restarted producer writes).
     */
    private Injected fault(
            Fault fault,
            String target,
            Progress progress,
            Simulator simulator,
            List<String> outputs,
            Step inject,
            Step restore)
            throws Exception {
        log.info("Chaos: {} ({})", fault.description, target);
        inject.run();
        TimeUnit.SECONDS.sleep(3); // load runs on while the component is down
        restore.run();
        long restored = System.nanoTime();
        AtomicReference<Map<TopicPartition, Long>> ends = new AtomicReference<>();
        awaitUntil(
                "the cluster answers",
                () -> {
                    ends.set(committedEnds(outputs));
                    return ends.get() != null;
                },
                Duration.ofMinutes(1),
                simulator);
        awaitUntil(
                outputs + " commit again",
                () -> progress.sawPast(ends.get()),
                Duration.ofMinutes(3),
                simulator);
        return new Injected(fault, target, (System.nanoTime() - restored) / 1e9);
    }

    /**
     * The last stable offset of every partition of {@code topics}, or null while the cluster does
     * not answer (brokers restarting).
     */
    private Map<TopicPartition, Long> committedEnds(List<String> topics) {
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (var d :
                    admin.describeTopics(topics)
                            .allTopicNames()
                            .get(10, TimeUnit.SECONDS)
                            .values()) {
                d.partitions()
                        .forEach(
                                p ->
                                        latest.put(
                                                new TopicPartition(d.name(), p.partition()),
                                                OffsetSpec.latest()));
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .forEach((tp, o) -> ends.put(tp, o.offset()));
            return ends;
        } catch (Exception e) {
            return null;
        }
    }

    private static void awaitMoving(
            Progress progress, List<String> topics, Duration timeout, Simulator simulator)
            throws Exception {
        long from = progress.count(topics);
        awaitUntil(topics + " move", () -> progress.count(topics) > from, timeout, simulator);
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
                throw new IllegalStateException(
                        "the simulator failed while waiting until " + what, simulator.failure());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within " + timeout + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling the pipeline's progress
        }
    }

    private static void awaitHealthy(Iterable<Part> parts, Duration timeout) throws Exception {
        for (Part p : parts) {
            awaitUntil(p.name + " is healthy", p::healthy, timeout, null);
        }
    }

    private static Result count(
            long seed,
            Map<String, Object> client,
            TopicCatalog catalog,
            LocalStack stack,
            GroundTruth truth,
            long sent,
            List<Injected> injected,
            Progress progress,
            double seconds)
            throws Exception {
        Map<TopicPartition, Map<Long, Integer>> atEnd = new HashMap<>();
        Map<String, Integer> vectors =
                countByTxn(
                        client,
                        catalog.features().name(),
                        catalog.features().valueSerde().deserializer(),
                        FeatureVector::getTxnId,
                        atEnd);
        Map<String, Integer> predictions =
                countByTxn(
                        client,
                        catalog.predictions().name(),
                        catalog.predictions().valueSerde().deserializer(),
                        Prediction::getTxnId,
                        atEnd);
        long seenThenAborted = progress.notIn(atEnd);

        Map<String, List<Long>> versions = new TreeMap<>();
        for (ConsumerRecord<byte[], ModelRelease> r :
                read(
                        client,
                        catalog.models().name(),
                        catalog.models().valueSerde().deserializer())) {
            versions.computeIfAbsent(r.value().getModelName(), m -> new ArrayList<>())
                    .add(r.value().getVersion());
        }
        List<String> versionProblems = new ArrayList<>();
        if (versions.isEmpty()) {
            versionProblems.add("no model released");
        }
        versions.forEach(
                (model, list) -> {
                    List<Long> sorted = list.stream().sorted().toList();
                    for (int i = 0; i < sorted.size(); i++) {
                        if (sorted.get(i) != i + 1L) {
                            versionProblems.add(
                                    model + " versions " + sorted + " have a gap or duplicate");
                            return;
                        }
                    }
                });

        Set<String> labelled = new HashSet<>();
        for (ConsumerRecord<byte[], Label> r :
                read(
                        client,
                        catalog.labels().name(),
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
        long missing = committed.stream().filter(txn -> !labelled.contains(txn)).count();

        return new Result(
                seed,
                sent,
                injected,
                lost(vectors, truth, sent),
                duplicated(vectors),
                lost(predictions, truth, sent),
                duplicated(predictions),
                versionProblems,
                committed.size(),
                missing,
                progress.seen(),
                seenThenAborted,
                seconds);
    }

    /** Payments sent without a record: those sent less those with one, known to the simulator. */
    private static long lost(Map<String, Integer> byTxn, GroundTruth truth, long sent) {
        long known = byTxn.keySet().stream().filter(txn -> truth.of(txn) != null).count();
        return sent - known;
    }

    private static long duplicated(Map<String, Integer> byTxn) {
        return byTxn.values().stream().mapToLong(n -> n - 1).sum();
    }

    /**
     * Counts {@code topic}'s committed records by transaction id, and notes each record's
     * partition, offset and value hash in {@code atEnd}.
     */
    private static <V extends SpecificRecord> Map<String, Integer> countByTxn(
            Map<String, Object> client,
            String topic,
            Deserializer<V> values,
            Function<V, String> txn,
            Map<TopicPartition, Map<Long, Integer>> atEnd) {
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : read(client, topic, new ByteArrayDeserializer())) {
            atEnd.computeIfAbsent(
                            new TopicPartition(r.topic(), r.partition()), p -> new HashMap<>())
                    .put(r.offset(), Arrays.hashCode(r.value()));
            counts.merge(txn.apply(values.deserialize(topic, r.value())), 1, Integer::sum);
        }
        return counts;
    }

    /** Every committed record of {@code topic}, from its start to its end now. */
    private static <V> List<ConsumerRecord<byte[], V>> read(
            Map<String, Object> client, String topic, Deserializer<V> values) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], V>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], V> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), values)) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "reading " + topic + " to " + end + " took over two minutes");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /**
     * A read_committed reader of a set of topics from their start, running through the whole run:
     * counts what it sees per topic, and for the {@code tracked} topics notes each record's
     * partition, offset and value hash, so that the end can tell whether it saw a record that is
     * not there (one of a transaction that was later aborted).
     */
    private static final class Progress implements AutoCloseable {
        private final Map<String, AtomicLong> counts = new TreeMap<>();
        private final Map<TopicPartition, Map<Long, Integer>> seen = new ConcurrentHashMap<>();
        private final Map<TopicPartition, Long> highest = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Progress(Map<String, Object> client, List<String> topics, Set<String> tracked) {
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
                                            if (tracked.contains(r.topic())) {
                                                seen.computeIfAbsent(
                                                                new TopicPartition(
                                                                        r.topic(), r.partition()),
                                                                p -> new ConcurrentHashMap<>())
                                                        .put(
                                                                r.offset(),
                                                                Arrays.hashCode(r.value()));
                                            }
                                            counts.get(r.topic()).incrementAndGet();
                                            highest.merge(
                                                    new TopicPartition(r.topic(), r.partition()),
                                                    r.offset(),
                                                    Math::max);
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

        long count(List<String> topics) {
            return topics.stream().mapToLong(this::count).sum();
        }

        /**
         * Whether a committed record at or past {@code ends} has been read on any of its
         * partitions: one committed after those last stable offsets were taken (transaction
         * markers, which also move them, are never read).
         */
        boolean sawPast(Map<TopicPartition, Long> ends) {
            for (var e : ends.entrySet()) {
                Long offset = highest.get(e.getKey());
                if (offset != null && offset >= e.getValue()) {
                    return true;
                }
            }
            return false;
        }

        /** Records of the tracked topics seen. */
        long seen() {
            return seen.values().stream().mapToLong(Map::size).sum();
        }

        /** Records seen that are not, with the same value, in {@code atEnd}. */
        long notIn(Map<TopicPartition, Map<Long, Integer>> atEnd) {
            long missing = 0;
            for (var partition : seen.entrySet()) {
                Map<Long, Integer> end = atEnd.getOrDefault(partition.getKey(), Map.of());
                for (var record : partition.getValue().entrySet()) {
                    if (!record.getValue().equals(end.get(record.getKey()))) {
                        missing++;
                    }
                }
            }
            return missing;
        }

        /** Stops the reader; idempotent. */
        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
