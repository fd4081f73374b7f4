package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.onnx.proto.OnnxMl;
import com.sun.net.httpserver.HttpServer;
import dev.tideline.connectors.CdcMain;
import dev.tideline.features.FeatureMain;
import dev.tideline.features.FeatureSpec;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.schemas.model.Digests;
import dev.tideline.schemas.model.ModelGraph;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingMain;
import dev.tideline.testkit.Http;
import dev.tideline.testkit.Prometheus;
import dev.tideline.testkit.TestModels;
import dev.tideline.testkit.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.util.onnx.ONNXOperators;

/**
 * The bad-input corpus: every kind of bad input the pipeline meets, at every entry point, with the
 * outcome it must have: a dead letter with a specific reason, a release refused at a named gate, or
 * a clear refusal or error naming the problem. The whole pipeline runs (CDC, the feature stage, the
 * training job, a scoring replica) while valid payments keep flowing among the bad ones; at the end
 * every valid payment has exactly one prediction, so no bad input stopped a stage or poisoned a
 * partition. The report lists one test per kind; the log prints the corpus as a table.
 */
@Tag("integration")
class BadInputCorpusIT {

    private static final Logger log = LoggerFactory.getLogger(BadInputCorpusIT.class);

    private static final String FEATURES_STAGE = "streams-features";
    private static final String TRAINING_STAGE = "flink-training";
    private static final String CDC_STAGE = "connectors";
    private static final Duration DLQ_TIMEOUT = Duration.ofMinutes(3);

    /** One kind of bad input: where it enters, and what must become of it. */
    record Kind(String name, String entry, String expected) {}

    /** A dead-letter outcome to look for: the record with this key on this topic. */
    record Letter(String kind, String topic, String key, String stage) {}

    private final List<Kind> kinds = new ArrayList<>();
    private final Map<String, String> observed = new ConcurrentHashMap<>();
    private final List<Letter> letters = new ArrayList<>();

    @TestFactory
    Stream<DynamicTest> everyKindOfBadInputHasItsOutcome(@TempDir Path dir) throws Exception {
        configurationCases();
        registryCases();

        HttpServer artifacts = artifactServer(2 << 20);
        Map<String, String> values = new HashMap<>();
        values.put("tideline.stack.work-dir", dir.resolve("stack").toString());
        values.put("tideline.serving.artifact.max-bytes", String.valueOf(1 << 20));
        values.put("tideline.serving.artifact.timeout-ms", "2000");
        List<String> valid = new CopyOnWriteArrayList<>();
        boolean allPredicted;
        try (Demo demo = Demo.start(BenchRuns.quiet(values), 1, Duration.ofSeconds(20), null)) {
            TopicCatalog catalog = demo.catalog();
            Map<String, Object> client = demo.client();
            FeatureSpec spec = demo.features().spec();
            AtomicBoolean flowing = new AtomicBoolean(true);
            Thread heartbeat = heartbeat(client, catalog, valid, flowing);
            heartbeat.start();
            try {
                paymentCases(client, catalog);
                vectorCases(client, catalog, spec);
                databaseCases(demo, valid);
                produceCases(demo, dir);
                modelCases(demo, client, catalog, spec, artifacts);
                awaitLetters(client);
            } finally {
                flowing.set(false);
                heartbeat.join(10_000);
            }
            allPredicted = everyValidPaymentPredictedOnce(client, catalog, valid);
        } finally {
            artifacts.stop(0);
        }

        StringBuilder table = new StringBuilder("Bad-input corpus: " + kinds.size() + " kinds\n");
        for (Kind k : kinds) {
            String seen = observed.getOrDefault(k.name(), "nothing observed");
            table.append(
                    String.format(
                            "%-4s %-28s %-26s %s%n",
                            seen.equals(k.expected()) ? "ok" : "FAIL", k.name(), k.entry(), seen));
        }
        log.info("{}", table);

        List<DynamicTest> tests = new ArrayList<>();
        for (Kind k : kinds) {
            tests.add(
                    dynamicTest(
                            k.name() + " (" + k.entry() + "): " + k.expected(),
                            () ->
                                    assertThat(observed.get(k.name()))
                                            .as("%s at %s", k.name(), k.entry())
                                            .isEqualTo(k.expected())));
        }
        boolean predicted = allPredicted;
        int validCount = valid.size();
        tests.add(
                dynamicTest(
                        "the valid payments among the bad ones: one prediction each",
                        () -> {
                            assertThat(validCount).isGreaterThan(20);
                            assertThat(predicted).isTrue();
                        }));
        tests.add(
                dynamicTest(
                        "the corpus holds at least 30 kinds",
                        () -> assertThat(kinds).hasSizeGreaterThanOrEqualTo(30)));
        return tests.stream();
    }

    // ---- configuration: every engine refuses an unknown key and a bad value, naming it

    private void configurationCases() throws Exception {
        Map<String, String> base =
                Map.of(
                        "tideline.kafka.bootstrap-servers", "localhost:9092",
                        "tideline.registry.url", "http://localhost:8081");
        refusal("unknown-key-features", new FeatureMain()::load, base, "tideline.features.colour");
        refusal("unknown-key-serving", new ServingMain()::load, base, "tideline.serving.colour");
        refusal("unknown-key-cdc", new CdcMain()::load, base, "tideline.cdc.colour");
        Map<String, String> bad = new HashMap<>(base);
        bad.put("tideline.serving.spec-fingerprint", "f".repeat(64));
        bad.put("tideline.serving.input-width", "31");
        bad.put("tideline.serving.max-batch", "-3");
        expect(
                "invalid-value-serving",
                "configuration",
                "refused, naming tideline.serving.max-batch");
        try {
            new ServingMain().load(Optional.empty(), Map.of(), bad);
            observed.put("invalid-value-serving", "accepted");
        } catch (RuntimeException e) {
            observed.put("invalid-value-serving", refusedNaming(e, "tideline.serving.max-batch"));
        }
        expect(
                "invalid-value-topics",
                "configuration",
                "refused, naming tideline.topics.partitions");
        Map<String, String> partitions = new HashMap<>(base);
        partitions.put("tideline.topics.partitions", "none");
        try {
            new FeatureMain().load(Optional.empty(), Map.of(), partitions);
            observed.put("invalid-value-topics", "accepted");
        } catch (RuntimeException e) {
            observed.put("invalid-value-topics", refusedNaming(e, "tideline.topics.partitions"));
        }

        Map<String, Loader> loaders = new LinkedHashMap<>();
        loaders.put("features", new FeatureMain()::load);
        loaders.put("cdc", new CdcMain()::load);
        for (var engine : loaders.entrySet()) {
            String key = "tideline." + engine.getKey() + ".http.port";
            String kind = "invalid-value-" + engine.getKey();
            expect(kind, "configuration", "refused, naming " + key);
            Map<String, String> flags = new HashMap<>(base);
            flags.put(key, "70000");
            try {
                engine.getValue().load(Optional.empty(), Map.of(), flags);
                observed.put(kind, "accepted");
            } catch (RuntimeException e) {
                observed.put(kind, refusedNaming(e, key));
            }
        }

        // The training job checks its settings in its own JVM: it must exit 2, naming the key.
        training("unknown-key-training", "tideline.training.colour", "blue");
        training("invalid-value-training", "tideline.training.http.port", "70000");
    }

    private void training(String name, String key, String value) throws Exception {
        expect(name, "configuration", "exit 2, naming " + key);
        Path jar = ModuleJvm.TRAINING.builtJar();
        if (jar == null) {
            observed.put(name, "the training module is not built");
            return;
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(jar + ":" + jar.resolveSibling("lib") + "/*");
        command.add(TrainingProcess.MAIN);
        Map<String, String> settings =
                TrainingProcess.settings(
                        Map.of(
                                "tideline.kafka.bootstrap-servers", "localhost:9092",
                                "tideline.registry.url", "http://localhost:8081"));
        settings.put(key, value);
        settings.forEach(
                (k, v) -> {
                    command.add("-D");
                    command.add(k + "=" + v);
                });
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        observed.put(
                name,
                !exited
                        ? "still running"
                        : "exit "
                                + p.exitValue()
                                + (out.contains(key)
                                        ? ", naming " + key
                                        : ", not naming the key: " + out));
    }

    private interface Loader {
        Object load(
                Optional<Path> file, Map<String, String> environment, Map<String, String> flags);
    }

    private void refusal(String name, Loader loader, Map<String, String> base, String key) {
        expect(name, "configuration", "refused, naming " + key);
        Map<String, String> flags = new HashMap<>(base);
        flags.put(key, "blue");
        try {
            loader.load(Optional.empty(), Map.of(), flags);
            observed.put(name, "accepted");
        } catch (RuntimeException e) {
            observed.put(name, refusedNaming(e, key));
        }
    }

    private static String refusedNaming(Throwable e, String key) {
        return String.valueOf(e.getMessage()).contains(key)
                ? "refused, naming " + key
                : "refused without naming the key: " + e;
    }

    // ---- the registry: a server error or no answer is a clear, bounded error

    private void registryCases() throws Exception {
        HttpServer failing = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        failing.createContext(
                "/",
                exchange -> {
                    exchange.sendResponseHeaders(500, -1);
                    exchange.close();
                });
        HttpServer silent = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        List<com.sun.net.httpserver.HttpExchange> held = new CopyOnWriteArrayList<>();
        silent.createContext("/", held::add); // never answers
        failing.start();
        silent.start();
        try {
            expect("registry-500", "schema registry", "error after 2 retries, naming HTTP 500");
            observed.put(
                    "registry-500",
                    registryError(
                            "http://localhost:" + failing.getAddress().getPort(),
                            e ->
                                    String.valueOf(e.getMessage()).contains("500")
                                            ? "error after 2 retries, naming HTTP 500"
                                            : "error not naming the status: " + e));
            expect(
                    "registry-timeout",
                    "schema registry",
                    "error after 2 retries, naming a timeout");
            observed.put(
                    "registry-timeout",
                    registryError(
                            "http://localhost:" + silent.getAddress().getPort(),
                            e -> {
                                for (Throwable t = e; t != null; t = t.getCause()) {
                                    if (t instanceof java.net.http.HttpTimeoutException
                                            || String.valueOf(t.getMessage())
                                                    .toLowerCase()
                                                    .contains("timed out")) {
                                        return "error after 2 retries, naming a timeout";
                                    }
                                }
                                return "error not naming a timeout: " + e;
                            }));
        } finally {
            failing.stop(0);
            silent.stop(0);
        }
    }

    private static String registryError(
            String url, java.util.function.Function<Throwable, String> describe) {
        SchemaRegistryClient registry =
                new SchemaRegistryClient(
                        RegistryClientConfig.from(
                                Map.of(
                                        RegistryClientConfig.URL, url,
                                        RegistryClientConfig.RETRIES, "2",
                                        RegistryClientConfig.RETRY_BACKOFF_MS, "10",
                                        RegistryClientConfig.REQUEST_TIMEOUT_MS, "500")));
        long t0 = System.nanoTime();
        try {
            registry.schemaById(1);
            return "answered";
        } catch (RuntimeException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return ms > 30_000 ? "error only after " + ms + " ms" : describe.apply(e);
        }
    }

    // ---- payments: the feature stage dead-letters each with its reason

    private void paymentCases(Map<String, Object> client, TopicCatalog catalog) throws Exception {
        String topic = catalog.transactions().name();
        String dlq = catalog.deadLetter(catalog.transactions()).name();
        var serializer = catalog.transactions().valueSerde().serializer();
        long now = System.currentTimeMillis();
        Map<String, byte[]> raw = new LinkedHashMap<>();
        Map<String, String> reasons = new LinkedHashMap<>();

        byte[] good = serializer.serialize(topic, payment("corpus-truncated", 1_000, "EUR", now));
        raw.put("corpus-truncated", Arrays.copyOf(good, good.length - 6));
        reasons.put("corpus-truncated", "malformed");
        byte[] magic = serializer.serialize(topic, payment("corpus-magic", 1_000, "EUR", now));
        magic[0] = 7;
        raw.put("corpus-magic", magic);
        reasons.put("corpus-magic", "not-wire-format");
        byte[] unknownId =
                serializer.serialize(topic, payment("corpus-schema-id", 1_000, "EUR", now));
        ByteBuffer.wrap(unknownId, 1, 4).putInt(987_654);
        raw.put("corpus-schema-id", unknownId);
        reasons.put("corpus-schema-id", "unknown-schema-id");
        // An account, in the wire format with the account schema's id, on the payments topic.
        Account account =
                Account.newBuilder()
                        .setAccountId("corpus-writer")
                        .setCreatedAt(Instant.ofEpochMilli(now))
                        .setCreditLimitMinor(100)
                        .setHomeCountry("DE")
                        .setRiskTier(RiskTier.LOW)
                        .setUpdatedAt(Instant.ofEpochMilli(now))
                        .build();
        raw.put(
                "corpus-writer",
                catalog.accounts()
                        .valueSerde()
                        .serializer()
                        .serialize(catalog.accounts().name(), account));
        reasons.put("corpus-writer", "schema-mismatch");
        raw.put("corpus-tombstone", null);
        reasons.put("corpus-tombstone", "missing-value");

        Map<String, Transaction> typed = new LinkedHashMap<>();
        Transaction blank = payment("corpus-missing-field", 1_000, "EUR", now);
        blank.setMerchantId("");
        typed.put("missing-field", blank);
        typed.put("negative-amount", payment("corpus-negative-amount", -500, "EUR", now));
        typed.put("zero-amount", payment("corpus-zero-amount", 0, "EUR", now));
        typed.put("huge-amount", payment("corpus-huge-amount", Long.MAX_VALUE, "EUR", now));
        typed.put("unknown-currency", payment("corpus-unknown-currency", 1_000, "XQZ", now));
        // Late against its partition's clock, which a payment of now sets first.
        typed.put("far-past-clock", payment("corpus-far-past", 1_000, "EUR", now));
        typed.put(
                "far-past-event-time",
                payment("corpus-far-past", 1_000, "EUR", now - Duration.ofDays(30).toMillis()));
        typed.put("event-time-before-1970", payment("corpus-before-1970", 1_000, "EUR", -5_000));
        typed.put(
                "far-future-event-time",
                payment("corpus-far-future", 1_000, "EUR", now + Duration.ofDays(30).toMillis()));
        Map<String, String> typedReasons =
                Map.of(
                        "missing-field", "missing-field",
                        "negative-amount", "invalid-amount",
                        "zero-amount", "invalid-amount",
                        "huge-amount", "amount-out-of-range",
                        "unknown-currency", "unknown-currency",
                        "far-past-event-time", "late",
                        "event-time-before-1970", "invalid-event-time",
                        "far-future-event-time", "future-event-time");

        Map<String, String> rawNames =
                Map.of(
                        "corpus-truncated", "truncated-avro",
                        "corpus-magic", "wrong-magic-byte",
                        "corpus-schema-id", "unknown-schema-id",
                        "corpus-writer", "incompatible-writer-schema",
                        "corpus-tombstone", "payment-tombstone");
        try (KafkaProducer<byte[], byte[]> producer = bytesProducer(client)) {
            for (var e : raw.entrySet()) {
                String name = rawNames.get(e.getKey());
                expectLetter(name, topic, dlq, e.getKey(), FEATURES_STAGE, reasons.get(e.getKey()));
                send(producer, topic, e.getKey(), e.getValue());
            }
            for (var e : typed.entrySet()) {
                Transaction tx = e.getValue();
                if (e.getKey().equals("far-past-clock")) {
                    tx.setTxnId("corpus-far-past-clock");
                    send(producer, topic, tx.getEntityId(), serializer.serialize(topic, tx));
                    continue;
                }
                expectLetter(
                        e.getKey(),
                        topic,
                        dlq,
                        tx.getEntityId(),
                        FEATURES_STAGE,
                        typedReasons.get(e.getKey()));
                send(producer, topic, tx.getEntityId(), serializer.serialize(topic, tx));
            }
            // Partitioned by another key than the entity's.
            Transaction misKeyed = payment("corpus-someone-else", 1_000, "EUR", now);
            expectLetter(
                    "key-not-entity-id",
                    topic,
                    dlq,
                    "corpus-mis-keyed",
                    FEATURES_STAGE,
                    "key-mismatch");
            send(producer, topic, "corpus-mis-keyed", serializer.serialize(topic, misKeyed));
        }

        // Larger than any record the topic takes: the producer gets the broker's refusal.
        String name = "oversize-payment";
        expect(name, topic, "refused by the broker: RecordTooLargeException");
        Map<String, Object> big = new HashMap<>(client);
        big.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 40 << 20);
        big.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 80L << 20);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(big, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key("corpus-oversize"), new byte[20 << 20]))
                    .get(60, TimeUnit.SECONDS);
            observed.put(name, "accepted");
        } catch (java.util.concurrent.ExecutionException e) {
            observed.put(
                    name,
                    e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException
                            ? "refused by the broker: RecordTooLargeException"
                            : "failed otherwise: " + e.getCause());
        }
    }

    // ---- vectors: the scoring replica dead-letters what it cannot score

    private void vectorCases(Map<String, Object> client, TopicCatalog catalog, FeatureSpec spec)
            throws Exception {
        String topic = catalog.features().name();
        String dlq = catalog.deadLetter(catalog.features()).name();
        var serializer = catalog.features().valueSerde().serializer();
        long now = System.currentTimeMillis();
        String serving = "serving-consumer";
        try (KafkaProducer<byte[], byte[]> producer = bytesProducer(client)) {
            expectLetter(
                    "undecodable-vector", topic, dlq, "corpus-v-garbage", serving, "undecodable");
            send(producer, topic, "corpus-v-garbage", new byte[] {0, 0, 0, 0, 1, (byte) 0xff, 3});
            expectLetter(
                    "vector-tombstone", topic, dlq, "corpus-v-tombstone", serving, "missing-value");
            send(producer, topic, "corpus-v-tombstone", null);
            FeatureVector otherSpec =
                    vector("corpus-v-spec", "0".repeat(64), new float[spec.size()], now);
            expectLetter(
                    "vector-of-another-spec", topic, dlq, "corpus-v-spec", serving, "unknown-spec");
            send(producer, topic, "corpus-v-spec", serializer.serialize(topic, otherSpec));
            float[] nan = new float[spec.size()];
            nan[4] = Float.NaN;
            float[] infinite = new float[spec.size()];
            infinite[0] = Float.NEGATIVE_INFINITY;
            for (var c : Map.of("corpus-v-nan", nan, "corpus-v-infinite", infinite).entrySet()) {
                expectLetter(
                        c.getKey().equals("corpus-v-nan")
                                ? "vector-with-nan-value"
                                : "vector-with-infinite-value",
                        topic,
                        dlq,
                        c.getKey(),
                        serving,
                        "non-finite-value");
                FeatureVector v = vector(c.getKey(), spec.fingerprint(), c.getValue(), now);
                send(producer, topic, c.getKey(), serializer.serialize(topic, v));
            }
            FeatureVector narrow = vector("corpus-v-width", spec.fingerprint(), new float[3], now);
            expectLetter(
                    "vector-of-wrong-width", topic, dlq, "corpus-v-width", serving, "wrong-width");
            send(producer, topic, "corpus-v-width", serializer.serialize(topic, narrow));
        }
    }

    // ---- the database: CDC dead-letters rows it cannot map; training rejects bad labels

    private void databaseCases(Demo demo, List<String> valid) throws Exception {
        String dlq = "cdc.dlq";
        String labelsDlq = "cdc.labels.dlq";
        expectLetter(
                "negative-credit-limit",
                "postgres accounts",
                dlq,
                "corpus-limit",
                CDC_STAGE,
                "invalid-value");
        expectLetter(
                "malformed-country",
                "postgres accounts",
                dlq,
                "corpus-country",
                CDC_STAGE,
                "invalid-value");
        expectLetter(
                "unknown-risk-tier",
                "postgres accounts",
                dlq,
                "corpus-tier",
                CDC_STAGE,
                "invalid-value");
        expectLetter(
                "label-for-unknown-transaction",
                "postgres chargebacks",
                labelsDlq,
                "corpus-no-such-txn",
                TRAINING_STAGE,
                "unknown-transaction");
        // Labels a payment the heartbeat sent: once by its chargeback, again by a correction.
        while (valid.size() < 5) {
            TimeUnit.MILLISECONDS.sleep(100); // the heartbeat's first payments
        }
        String labelled = valid.get(2);
        expectLetter(
                "duplicate-label",
                "postgres chargebacks",
                labelsDlq,
                labelled,
                TRAINING_STAGE,
                "duplicate");
        try (Connection db =
                        DriverManager.getConnection(
                                demo.stack().jdbc().url(),
                                demo.stack().jdbc().user(),
                                demo.stack().jdbc().password());
                Statement s = db.createStatement()) {
            s.executeUpdate(
                    "INSERT INTO accounts (account_id, created_at, credit_limit_minor,"
                            + " home_country, risk_tier) VALUES ('corpus-limit', now(), -5, 'DE',"
                            + " 'LOW'), ('corpus-country', now(), 100, 'Germany', 'LOW'),"
                            + " ('corpus-tier', now(), 100, 'DE', 'PURPLE')");
            s.executeUpdate(
                    "INSERT INTO chargebacks (txn_id, account_id, is_fraud, merchant_id) VALUES"
                            + " ('corpus-no-such-txn', 'corpus-ok-0', true, 'corpus-m')");
            s.executeUpdate(
                    "INSERT INTO chargebacks (txn_id, account_id, is_fraud, merchant_id) VALUES ('"
                            + labelled
                            + "', 'corpus-ok-2', true, 'corpus-m')");
            s.executeUpdate(
                    "UPDATE chargebacks SET reported_at = now() + interval '1 second' WHERE"
                            + " txn_id = '"
                            + labelled
                            + "'");
        }
    }

    // ---- tideline produce: bad JSON is reported with its line, and nothing is written

    private void produceCases(Demo demo, Path dir) throws Exception {
        String topic = demo.catalog().transactions().name();
        String ok =
                "{\"txn_id\":\"corpus-produce-ok\",\"entity_id\":\"corpus-produce\","
                        + "\"merchant_id\":\"m\",\"amount_minor\":100,\"currency\":\"EUR\","
                        + "\"country\":\"DE\",\"channel\":\"ECOMMERCE\",\"event_time\":"
                        + System.currentTimeMillis()
                        + "}";
        produce(demo, dir, topic, "malformed-json", ok + "\n{\"txn_id\": \"x\",\n");
        produce(
                demo,
                dir,
                topic,
                "json-of-wrong-type",
                ok
                        + "\n"
                        + ok.replace("\"amount_minor\":100", "\"amount_minor\":\"a lot\"")
                        + "\n");
    }

    private void produce(Demo demo, Path dir, String topic, String name, String text)
            throws Exception {
        expect(name, "tideline produce", "exit 1, error on line 2, nothing written");
        Path file = dir.resolve(name + ".jsonl");
        Files.writeString(file, text);
        StringWriter err = new StringWriter();
        int exit =
                Tideline.commandLine()
                        .setErr(new PrintWriter(err, true))
                        .setOut(new PrintWriter(new StringWriter(), true))
                        .execute(
                                "produce",
                                "--topic",
                                topic,
                                "--file",
                                file.toString(),
                                "--bootstrap",
                                demo.stack().bootstrapServers(),
                                "--registry",
                                demo.stack().registryUrl());
        // The good first line was in the same transaction, which the bad line aborted.
        long written =
                Topics.readToEnd(
                                demo.client(),
                                topic,
                                new StringDeserializer(),
                                new ByteArrayDeserializer())
                        .stream()
                        .filter(r -> "corpus-produce".equals(r.key()))
                        .count();
        observed.put(
                name,
                "exit "
                        + exit
                        + (err.toString().contains("line 2") ? ", error on line 2" : ", " + err)
                        + (written == 0 ? ", nothing written" : ", " + written + " written"));
    }

    // ---- model releases: each refused at its gate, counted by gate, the served model kept

    private void modelCases(
            Demo demo,
            Map<String, Object> client,
            TopicCatalog catalog,
            FeatureSpec spec,
            HttpServer artifacts)
            throws Exception {
        int w = spec.size();
        float[] weights = new float[w];
        weights[0] = 0.1f;
        byte[] onnx = TestModels.logistic(weights, -2f);
        long version = 1_000_000;
        Map<String, ModelRelease> cases = new LinkedHashMap<>();

        ModelRelease badDigest = release(version++, onnx, spec);
        badDigest.setSha256("0".repeat(64));
        cases.put("release-with-bad-digest:digest", badDigest);
        byte[] truncated = Arrays.copyOf(onnx, onnx.length / 2);
        cases.put("truncated-onnx:load", release(version++, truncated, spec));
        ModelRelease wrongWidth = release(version++, onnx, spec);
        wrongWidth.setInputWidth(w - 1);
        cases.put("release-of-wrong-width:input-width", wrongWidth);
        ModelRelease wrongSpec = release(version++, onnx, spec);
        wrongSpec.setSpecFingerprint("e".repeat(64));
        cases.put("release-of-another-spec:spec-fingerprint", wrongSpec);
        // Its output is a double, where serving reads a float score.
        byte[] twoOutputs =
                ModelGraph.input(w)
                        .dense(weights, new float[] {0})
                        .then(
                                ref ->
                                        ref.apply(
                                                ONNXOperators.CAST,
                                                Map.of(
                                                        "to",
                                                        OnnxMl.TensorProto.DataType.DOUBLE
                                                                .getNumber())))
                        .toBytes("corpus");
        cases.put("onnx-with-unexpected-outputs:load", release(version++, twoOutputs, spec));
        byte[] graphWidth = TestModels.logistic(new float[w + 4], 0f);
        cases.put("onnx-graph-of-another-width:load", release(version++, graphWidth, spec));
        float[] big = new float[w];
        Arrays.fill(big, 50f);
        cases.put(
                "onnx-scoring-outside-0-1:canary",
                release(version++, TestModels.linear(big, 10f), spec));
        ModelRelease none = release(version++, onnx, spec);
        none.setOnnx(null);
        cases.put("release-without-artifact:no-artifact", none);
        ModelRelease unreachable = release(version++, onnx, spec);
        unreachable.setOnnx(null);
        unreachable.setArtifactUri("http://127.0.0.1:9/fraud.onnx");
        cases.put("artifact-uri-unreachable:fetch", unreachable);
        ModelRelease enormous = release(version++, onnx, spec);
        enormous.setOnnx(null);
        enormous.setArtifactUri(
                "http://localhost:" + artifacts.getAddress().getPort() + "/enormous.onnx");
        cases.put("artifact-enormous:fetch", enormous);

        String metrics = "http://localhost:" + demo.servingPort() + "/metrics";
        var serializer = catalog.models().valueSerde().serializer();
        try (KafkaProducer<byte[], byte[]> producer = bytesProducer(client)) {
            for (var e : cases.entrySet()) {
                String name = e.getKey().substring(0, e.getKey().indexOf(':'));
                String gate = e.getKey().substring(e.getKey().indexOf(':') + 1);
                expect(name, catalog.models().name(), "refused at the " + gate + " gate");
                double before = refusals(metrics, gate);
                long served = demo.servedVersion();
                ModelRelease r = e.getValue();
                send(
                        producer,
                        catalog.models().name(),
                        r.getModelName(),
                        serializer.serialize(catalog.models().name(), r));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String seen = "not refused within 60 s";
                while (System.nanoTime() < deadline) {
                    if (refusals(metrics, gate) > before) {
                        seen = "refused at the " + gate + " gate";
                        break;
                    }
                    if (demo.servedVersion() == r.getVersion()) {
                        seen = "served";
                        break;
                    }
                    TimeUnit.MILLISECONDS.sleep(100); // polling the replica's counters
                }
                observed.put(name, seen);
                log.info("{}: {} (serving v{} before)", name, seen, served);
            }
        }
    }

    private static double refusals(String metrics, String gate) throws Exception {
        String text = Http.get(metrics).body();
        return Prometheus.parse(text)
                .getOrDefault("tideline_serving_model_refusals_total", Map.of())
                .entrySet()
                .stream()
                .filter(s -> s.getKey().contains("gate=\"" + gate + "\""))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }

    private static ModelRelease release(long version, byte[] onnx, FeatureSpec spec) {
        ModelRelease r = TestModels.release(version, onnx, spec.size());
        r.setSpecId(spec.id());
        r.setSpecVersion(spec.version());
        r.setSpecFingerprint(spec.fingerprint());
        r.setSha256(Digests.sha256(onnx));
        r.setCreatedAt(Instant.now());
        return r;
    }

    // ---- dead letters: read every dead-letter topic until each expected one is there

    private void expectLetter(
            String name, String entry, String dlq, String key, String stage, String reason) {
        expect(name, entry, "dead letter on " + dlq + ": " + reason);
        letters.add(new Letter(name, dlq, key, stage));
    }

    /** Reads every dead-letter topic at once, so that one missing letter delays no other. */
    private void awaitLetters(Map<String, Object> client) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long deadline = System.nanoTime() + DLQ_TIMEOUT.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            letters.stream()
                    .map(Letter::topic)
                    .distinct()
                    .forEach(
                            t ->
                                    consumer.partitionsFor(t)
                                            .forEach(
                                                    p ->
                                                            partitions.add(
                                                                    new TopicPartition(
                                                                            t, p.partition()))));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (letters.stream().anyMatch(l -> !observed.containsKey(l.kind()))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    String k = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                    for (Letter l : letters) {
                        if (l.topic().equals(r.topic())
                                && l.key().equals(k)
                                && l.stage().equals(header(r, DeadLetter.STAGE))
                                && !observed.containsKey(l.kind())) {
                            observed.put(
                                    l.kind(),
                                    "dead letter on "
                                            + l.topic()
                                            + ": "
                                            + header(r, DeadLetter.REASON));
                        }
                    }
                }
            }
        }
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    // ---- valid payments among the bad ones

    private static Thread heartbeat(
            Map<String, Object> client,
            TopicCatalog catalog,
            List<String> sent,
            AtomicBoolean flowing) {
        Thread t =
                new Thread(
                        () -> {
                            String topic = catalog.transactions().name();
                            var serializer = catalog.transactions().valueSerde().serializer();
                            try (KafkaProducer<byte[], byte[]> producer = bytesProducer(client)) {
                                for (int i = 0; flowing.get(); i++) {
                                    Transaction tx =
                                            payment(
                                                    "corpus-ok-" + (i % 20),
                                                    1_000 + i,
                                                    "EUR",
                                                    System.currentTimeMillis());
                                    tx.setTxnId("corpus-ok-txn-" + i);
                                    send(
                                            producer,
                                            topic,
                                            tx.getEntityId(),
                                            serializer.serialize(topic, tx));
                                    sent.add(tx.getTxnId());
                                    TimeUnit.MILLISECONDS.sleep(250); // a steady trickle
                                }
                            } catch (Exception e) {
                                log.error("the corpus heartbeat failed", e);
                            }
                        },
                        "corpus-heartbeat");
        t.setDaemon(true);
        return t;
    }

    private static boolean everyValidPaymentPredictedOnce(
            Map<String, Object> client, TopicCatalog catalog, List<String> valid) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        Map<String, Integer> counts = Map.of();
        while (System.nanoTime() < deadline) {
            counts =
                    Topics.countBy(
                            client,
                            catalog.predictions().name(),
                            catalog.predictions().valueSerde().deserializer(),
                            Prediction::getTxnId);
            if (valid.stream().allMatch(counts::containsKey)) {
                break;
            }
            TimeUnit.SECONDS.sleep(1); // predictions still coming
        }
        Map<String, Integer> seen = counts;
        List<String> wrong =
                valid.stream().filter(t -> seen.getOrDefault(t, 0) != 1).limit(5).toList();
        if (!wrong.isEmpty()) {
            log.error("valid payments without exactly one prediction, e.g. {}", wrong);
        }
        return wrong.isEmpty();
    }

    // ---- helpers

    private void expect(String name, String entry, String expected) {
        kinds.add(new Kind(name, entry, expected));
    }

    private static Transaction payment(String entity, long amount, String currency, long time) {
        return Transaction.newBuilder()
                .setTxnId(entity + "-txn")
                .setEntityId(entity)
                .setMerchantId("corpus-m")
                .setAmountMinor(amount)
                .setCurrency(currency)
                .setCountry("DE")
                .setChannel(Channel.ECOMMERCE)
                .setEventTime(Instant.ofEpochMilli(time))
                .build();
    }

    private static FeatureVector vector(String entity, String fingerprint, float[] values, long t) {
        List<Float> list = new ArrayList<>();
        for (float v : values) {
            list.add(v);
        }
        return FeatureVector.newBuilder()
                .setTxnId(entity + "-txn")
                .setEntityId(entity)
                .setEventTime(Instant.ofEpochMilli(t))
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint(fingerprint)
                .setValues(list)
                .setMerchantId("corpus-m")
                .setAmountMinor(1_000)
                .setCurrency("EUR")
                .setComputedAt(Instant.ofEpochMilli(t))
                .build();
    }

    /** Sends one record and waits for the broker's acknowledgement. */
    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key(key), value)).get();
    }

    private static KafkaProducer<byte[], byte[]> bytesProducer(Map<String, Object> client) {
        return new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    /** Serves {@code size} bytes at any path: an artifact larger than serving takes. */
    private static HttpServer artifactServer(int size) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        byte[] body = new byte[size];
        server.createContext(
                "/",
                exchange -> {
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        server.start();
        return server;
    }
}
