package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.testkit.ChildJvm;
import dev.tideline.testkit.Http;
import dev.tideline.testkit.LibrdkafkaPartitioner;
import dev.tideline.testkit.Prometheus;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feature stage on a real broker and registry: several instances, one killed with SIGKILL
 * mid-stream and restarted, and the output counted. Transactions come from a producer with
 * librdkafka's partitioner and account rows from one with the Java client's, as Debezium writes
 * them: the vectors equal those of a run whose transactions were partitioned by the Java client.
 */
@WithLocalStack
class FeatureStageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final int PARTITIONS = 4;
    private static final int ENTITIES = 60;
    private static final int EVENTS = 6_000;

    /** Account rows at the head of the input: one per entity and one that does not deserialize. */
    private static final int ACCOUNT_RECORDS = ENTITIES + 1;

    /**
     * Yesterday's midnight: the input spans about 17 hours after it. Fixed dates would fall behind
     * the topics' retention and be deleted under the test.
     */
    private static final Instant T0 =
            Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(1));

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** How the transactions' producer partitions them. */
    private enum Partitioning {
        /** The Java client's murmur2, as the stage places entities. */
        JAVA,
        /** librdkafka's default (CRC-32): most entities land on another partition. */
        LIBRDKAFKA
    }

    @Test
    void emitsExactlyOneVectorPerTransactionAcrossAKilledInstance(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        List<ProducerRecord<byte[], byte[]>> input = input(stack);

        // Reference: one instance, never interrupted.
        TopicCatalog reference = catalog(stack, ns.prefix() + "ref.");
        Map<String, List<Float>> expected;
        try (FeatureApp app = start(config(stack, reference, "ref", dir.resolve("ref"), -1))) {
            produce(stack, reference, input, 0, input.size(), Partitioning.JAVA);
            expected = vectors(stack, reference, "ref", EVENTS, app);
            assertThat(app.metrics().repartitionedCount())
                    .as("transactions on their murmur2 partitions take no internal trip")
                    .isZero();
            List<ConsumerRecord<byte[], byte[]>> badRows =
                    readAll(stack, reference.cdcDeadLetter().name(), new ByteArrayDeserializer());
            assertThat(badRows)
                    .extracting(r -> DeadLetter.header(r.headers(), DeadLetter.SOURCE_TOPIC))
                    .containsExactly(reference.accounts().name());
        }

        // Two instances; the one in a child JVM is killed mid-stream and started again.
        TopicCatalog crash = catalog(stack, ns.prefix() + "crash.");
        int childPort = Http.freePort();
        Map<String, String> childConfig =
                config(stack, crash, "crash", dir.resolve("child"), childPort);
        try (FeatureApp survivor =
                start(config(stack, crash, "crash", dir.resolve("survivor"), -1))) {
            Process child = launch(childConfig, logFile(ns, "child-1.log"));
            try {
                // Both instances hold half the tasks before any input arrives: two of the four of
                // each sub-topology.
                String childHealth = "http://localhost:" + childPort + "/health";
                await().atMost(TIMEOUT)
                        .ignoreExceptions()
                        .until(
                                () ->
                                        Http.get(childHealth).statusCode() == 200
                                                && survivor.streams().state()
                                                        == KafkaStreams.State.RUNNING
                                                && activeTasks(survivor)
                                                        == PARTITIONS
                                                                / 2
                                                                * subtopologies(childConfig));
                produce(stack, crash, input, 0, input.size() / 2, Partitioning.LIBRDKAFKA);
                await().atMost(TIMEOUT).until(() -> committedVectors(stack, crash) >= EVENTS / 4);
                // The child owns partitions and has written vectors: it dies mid-stream, unclean.
                String metricsUrl = "http://localhost:" + childPort + "/metrics";
                AtomicReference<Object> last = new AtomicReference<>();
                try {
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> childVectors(metricsUrl, last) > 0);
                } catch (RuntimeException e) {
                    throw new AssertionError(
                            "child never reported a vector; last answer: " + last.get(), e);
                }
                child.destroyForcibly().waitFor();
                produce(
                        stack,
                        crash,
                        input,
                        input.size() / 2,
                        input.size(),
                        Partitioning.LIBRDKAFKA);
                child = launch(childConfig, logFile(ns, "child-2.log"));
                Map<String, List<Float>> actual = vectors(stack, crash, "crash", EVENTS, survivor);

                assertThat(actual).hasSize(EVENTS);
                assertThat(survivor.metrics().repartitionedCount())
                        .as("transactions the survivor moved to their owners")
                        .isPositive();
                assertThat(actual.keySet()).isEqualTo(expected.keySet());
                assertThat(differences(expected, actual))
                        .as("vectors that differ from the uninterrupted run")
                        .isEmpty();
                List<ConsumerRecord<byte[], byte[]>> dead =
                        readAll(
                                stack,
                                crash.deadLetter(crash.transactions()).name(),
                                new ByteArrayDeserializer());
                assertThat(dead)
                        .extracting(r -> DeadLetter.header(r.headers(), DeadLetter.REASON))
                        .containsExactlyInAnyOrder("not-wire-format", "not-wire-format", "late");
                assertThat(
                                dead.stream()
                                        .filter(
                                                r ->
                                                        "not-wire-format"
                                                                .equals(
                                                                        DeadLetter.header(
                                                                                r.headers(),
                                                                                DeadLetter
                                                                                        .REASON))))
                        .allSatisfy(
                                r ->
                                        assertThat(new String(r.value(), StandardCharsets.UTF_8))
                                                .startsWith("garbage"));
            } finally {
                child.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aReplayJoinsEachPaymentWithTheAccountRowAsOfItsEventTime(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        // History loaded before the stage starts, the payments even before the account rows:
        // accounts opened one hour apart and re-rated four hours later, each row stamped with
        // the time it took effect (as CDC stamps it with the source's commit time), and payments
        // every 20 minutes from before the first opening to after the last re-rating.
        TopicCatalog catalog =
                TestCatalogs.bootstrapped(stack, ns.prefix() + "replay.", PARTITIONS);
        int entities = 12;
        Duration step = Duration.ofMinutes(20);
        Map<String, Instant> opened = new HashMap<>();
        Map<String, Instant> rerated = new HashMap<>();
        List<ProducerRecord<String, Transaction>> payments = new ArrayList<>();
        for (Instant t = T0.minus(Duration.ofHours(1));
                t.isBefore(T0.plus(Duration.ofHours(18)));
                t = t.plus(step)) {
            for (int e = 0; e < entities; e++) {
                String id = "acct-" + e;
                Instant at = t.plusSeconds(7 + e);
                Transaction tx =
                        Transaction.newBuilder()
                                .setTxnId("txn-" + id + "-" + at.toEpochMilli())
                                .setEntityId(id)
                                .setMerchantId("m-" + e % 5)
                                .setAmountMinor(1_000 + e)
                                .setCurrency("EUR")
                                .setCountry("DE")
                                .setChannel(Channel.CONTACTLESS)
                                .setEventTime(at)
                                .build();
                payments.add(
                        new ProducerRecord<>(
                                catalog.transactions().name(), null, at.toEpochMilli(), id, tx));
            }
        }
        List<ProducerRecord<String, Account>> rows = new ArrayList<>();
        for (int e = 0; e < entities; e++) {
            String id = "acct-" + e;
            Instant open = T0.plus(Duration.ofHours(e));
            Instant rerate = open.plus(Duration.ofHours(4));
            opened.put(id, open);
            rerated.put(id, rerate);
            Account account =
                    Account.newBuilder()
                            .setAccountId(id)
                            .setCreatedAt(open)
                            .setCreditLimitMinor(500_000L)
                            .setHomeCountry("DE")
                            .setRiskTier(RiskTier.values()[1])
                            .setUpdatedAt(open)
                            .build();
            rows.add(
                    new ProducerRecord<>(
                            catalog.accounts().name(), null, open.toEpochMilli(), id, account));
            Account rerated3 =
                    Account.newBuilder(account)
                            .setRiskTier(RiskTier.values()[3])
                            .setUpdatedAt(rerate)
                            .build();
            rows.add(
                    new ProducerRecord<>(
                            catalog.accounts().name(), null, rerate.toEpochMilli(), id, rerated3));
        }
        Map<String, Object> client = Map.of("bootstrap.servers", stack.bootstrapServers());
        try (KafkaProducer<String, Transaction> p =
                new KafkaProducer<>(
                        client,
                        new StringSerializer(),
                        catalog.transactions().valueSerde().serializer())) {
            payments.forEach(p::send);
        }
        try (KafkaProducer<String, Account> p =
                new KafkaProducer<>(
                        client,
                        new StringSerializer(),
                        catalog.accounts().valueSerde().serializer())) {
            // In commit order, as CDC writes them: a partition is read in offset order, so rows
            // join by timestamp only as far as their offsets follow it.
            rows.stream()
                    .sorted(java.util.Comparator.comparing(ProducerRecord::timestamp))
                    .forEach(p::send);
        }

        try (FeatureApp app = start(config(stack, catalog, "replay", dir.resolve("replay"), -1))) {
            Map<String, List<Float>> vectors =
                    vectors(stack, catalog, "replay", payments.size(), app);
            List<String> names = app.spec().featureNames();
            int tier = names.indexOf("risk_tier");
            int age = names.indexOf("account_age_days");
            List<String> wrong = new ArrayList<>();
            for (ProducerRecord<String, Transaction> r : payments) {
                Transaction tx = r.value();
                Instant at = tx.getEventTime();
                String id = tx.getEntityId();
                float expectedTier =
                        at.isBefore(opened.get(id)) ? 0 : at.isBefore(rerated.get(id)) ? 1 : 3;
                List<Float> v = vectors.get(tx.getTxnId());
                boolean ageRight = at.isBefore(opened.get(id)) == (v.get(age) < 0);
                if (v.get(tier) != expectedTier || !ageRight) {
                    wrong.add(
                            tx.getTxnId()
                                    + " at "
                                    + at
                                    + ": risk_tier "
                                    + v.get(tier)
                                    + " (expected "
                                    + expectedTier
                                    + "), account_age_days "
                                    + v.get(age));
                }
            }
            assertThat(wrong)
                    .as("payments joined with another account row than the one as of their time")
                    .isEmpty();
        }
    }

    @Test
    void aStartedStageFormatsInTheUsLocaleWhateverTheHostsLocale(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        Locale before = Locale.getDefault(Locale.Category.FORMAT);
        // What a JVM reads from a host whose locale is C.UTF-8.
        Locale.setDefault(Locale.Category.FORMAT, Locale.ENGLISH);
        try (FeatureApp a =
                start(config(stack, catalog(stack, ns.prefix()), "locale", dir.resolve("l"), -1))) {
            assertThat(Locale.getDefault(Locale.Category.FORMAT)).isEqualTo(Locale.US);
        } finally {
            Locale.setDefault(Locale.Category.FORMAT, before);
        }
    }

    @Test
    void anInstanceWithAnIdIsAStaticMemberAndLeavesTheGroupWhenItStops(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = catalog(stack, ns.prefix());
        Map<String, String> c = config(stack, catalog, "static", dir.resolve("s"), 0);
        c.put(FeatureConfig.INSTANCE_ID, "features-a");
        String group = catalog.config().prefix() + "static";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            try (FeatureApp a = start(c)) {
                await().atMost(TIMEOUT)
                        .until(() -> a.streams().state() == KafkaStreams.State.RUNNING);
                assertThat(members(admin, group))
                        .as("the stream thread's group.instance.id")
                        .containsExactly(Optional.of("features-a-1"));
            }
            // Stopped on purpose: it leaves, rather than holding its tasks for the session.
            assertThat(members(admin, group)).isEmpty();
        }
    }

    @Test
    void anEntitysStateGoesToItsChangelogWithItsEventNotAtTheCommit(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = catalog(stack, ns.prefix());
        Map<String, String> c = config(stack, catalog, "eager", dir.resolve("e"), -1);
        // No commit within the test: whatever the changelog holds was written before one.
        c.put(FeatureConfig.COMMIT_INTERVAL, "PT5M");
        c.put(FeatureConfig.STREAMS_PREFIX + "producer.transaction.timeout.ms", "360000");
        String changelog =
                c.get(FeatureConfig.APPLICATION_ID)
                        + "-"
                        + FeatureTopology.ENTITY_STORE
                        + "-changelog";
        try (FeatureApp app = start(c);
                KafkaProducer<String, Transaction> producer =
                        new KafkaProducer<>(
                                Map.of("bootstrap.servers", stack.bootstrapServers()),
                                new StringSerializer(),
                                catalog.transactions().valueSerde().serializer())) {
            await().atMost(TIMEOUT)
                    .until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            producer.send(
                    new ProducerRecord<>(
                            catalog.transactions().name(),
                            "e1",
                            FeatureTopologyIT.tx(
                                    "t1",
                                    "e1",
                                    "m1",
                                    10_000,
                                    "DE",
                                    Channel.ECOMMERCE,
                                    Instant.now().truncatedTo(ChronoUnit.MILLIS))));
            producer.flush();
            try (KafkaConsumer<String, byte[]> reader =
                    Topics.fromStart(
                            Map.of("bootstrap.servers", stack.bootstrapServers()),
                            changelog,
                            new StringDeserializer(),
                            new ByteArrayDeserializer(),
                            IsolationLevel.READ_UNCOMMITTED)) {
                await().atMost(TIMEOUT)
                        .until(
                                () -> {
                                    for (ConsumerRecord<String, byte[]> r :
                                            reader.poll(Duration.ofMillis(200))) {
                                        if (r.key().equals("e1") && r.value() != null) {
                                            return true;
                                        }
                                    }
                                    return false;
                                });
            }
            assertThat(app.streams().metrics().entrySet())
                    .as("no commit has run")
                    .noneMatch(
                            e ->
                                    e.getKey().name().equals("commit-total")
                                            && ((Number) e.getValue().metricValue()).doubleValue()
                                                    > 0);
        }
    }

    private static List<Optional<String>> members(Admin admin, String group) throws Exception {
        return admin
                .describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get(30, TimeUnit.SECONDS)
                .members()
                .stream()
                .map(MemberDescription::groupInstanceId)
                .toList();
    }

    @Test
    void readApiRedirectsToTheInstanceThatOwnsTheKey(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = catalog(stack, ns.prefix());
        try (FeatureApp a = start(config(stack, catalog, "api", dir.resolve("a"), 0));
                FeatureApp b = start(config(stack, catalog, "api", dir.resolve("b"), 0))) {
            List<ProducerRecord<byte[], byte[]>> all = input(stack);
            List<ProducerRecord<byte[], byte[]>> input =
                    new ArrayList<>(all.subList(0, ACCOUNT_RECORDS));
            all.stream()
                    .skip(ACCOUNT_RECORDS)
                    .filter(r -> r.value()[0] == 0)
                    .limit(600)
                    .forEach(input::add);
            produce(stack, catalog, input, 0, input.size(), Partitioning.LIBRDKAFKA);
            Map<String, List<Float>> vectors = vectors(stack, catalog, "api", 600, a, b);
            await().atMost(TIMEOUT)
                    .until(
                            () ->
                                    a.streams().state() == KafkaStreams.State.RUNNING
                                            && b.streams().state() == KafkaStreams.State.RUNNING);

            // The transactions came from a librdkafka producer: every entity is answered, with its
            // account's profile, whichever instance is asked.
            Set<String> servedBy = new HashSet<>();
            for (int e = 0; e < ENTITIES; e++) {
                String entity = "acct-" + e;
                for (FeatureApp asked : List.of(a, b)) {
                    HttpResponse<String> response =
                            await().atMost(TIMEOUT)
                                    .until(
                                            () ->
                                                    Http.getFollowingRedirects(
                                                            "http://localhost:"
                                                                    + asked.httpPort()
                                                                    + "/features/"
                                                                    + entity),
                                            r -> r.statusCode() == 200);
                    JsonNode body = JSON.readTree(response.body());
                    assertThat(body.path("entity_id").asText()).isEqualTo(entity);
                    assertThat(body.path("features").has("txn_count_24h")).isTrue();
                    // As in a vector: the built-in spec writes the age log-scaled.
                    assertThat(body.path("features").path("account_age_days").asDouble())
                            .as("%s's account age, from its account row", entity)
                            .isGreaterThanOrEqualTo(
                                    asked.spec().transform("account_age_days").apply(30));
                    servedBy.add(body.path("served_by").asText());
                }
            }
            assertThat(servedBy)
                    .containsExactlyInAnyOrder(
                            "localhost:" + a.httpPort(), "localhost:" + b.httpPort());

            // Merchants too, from either instance: the merchant features as of the merchant's
            // latest payment count at least what that payment's own vector counted (payments
            // reach a merchant from several entity tasks, an earlier one possibly after it) and
            // no more than the merchant's payments.
            Map<String, List<Transaction>> byMerchant = new HashMap<>();
            for (ProducerRecord<byte[], byte[]> r : input.subList(ACCOUNT_RECORDS, input.size())) {
                Transaction tx =
                        catalog.transactions()
                                .valueSerde()
                                .deserializer()
                                .deserialize(catalog.transactions().name(), r.value());
                byMerchant.computeIfAbsent(tx.getMerchantId(), m -> new ArrayList<>()).add(tx);
            }
            int countAt = a.spec().featureNames().indexOf("merchant_txn_count_1h");
            Set<String> merchantsServedBy = new HashSet<>();
            for (Map.Entry<String, List<Transaction>> m : byMerchant.entrySet()) {
                Transaction last =
                        m.getValue().stream()
                                .max(java.util.Comparator.comparing(Transaction::getEventTime))
                                .orElseThrow();
                for (FeatureApp asked : List.of(a, b)) {
                    HttpResponse<String> response =
                            await().atMost(TIMEOUT)
                                    .until(
                                            () ->
                                                    Http.getFollowingRedirects(
                                                            "http://localhost:"
                                                                    + asked.httpPort()
                                                                    + "/features/merchant/"
                                                                    + m.getKey()),
                                            r -> r.statusCode() == 200);
                    JsonNode body = JSON.readTree(response.body());
                    assertThat(body.path("merchant_id").asText()).isEqualTo(m.getKey());
                    assertThat(body.path("latest_payment_time").asText())
                            .isEqualTo(last.getEventTime().toString());
                    double count = body.path("features").path("merchant_txn_count_1h").asDouble();
                    assertThat(count)
                            .as("%s's payments in the last hour", m.getKey())
                            // the vector's value is a float: compare to its precision
                            .isGreaterThanOrEqualTo(
                                    vectors.get(last.getTxnId()).get(countAt) - 1e-6)
                            .isLessThanOrEqualTo(
                                    a.spec()
                                            .transform("merchant_txn_count_1h")
                                            .apply(m.getValue().size()));
                    assertThat(body.path("features").has("merchant_fraud_rate_24h")).isTrue();
                    merchantsServedBy.add(body.path("served_by").asText());
                }
            }
            assertThat(merchantsServedBy).hasSize(2);
            assertThat(
                            Http.get("http://localhost:" + a.httpPort() + "/features/merchant/none")
                                    .statusCode())
                    .isIn(307, 404);

            assertThat(Http.get("http://localhost:" + a.httpPort() + "/health").statusCode())
                    .isEqualTo(200);
            assertThat(
                            Http.get("http://localhost:" + a.httpPort() + "/features/nobody")
                                    .statusCode())
                    .isIn(307, 404);
            assertThat(Http.get("http://localhost:" + a.httpPort() + "/metrics").body())
                    .contains("tideline_features_vectors_total")
                    .contains("tideline_features_process_latency_seconds");
        }
    }

    /** Child logs stay in target/ for the CI report. */
    private static Path logFile(TestNamespace ns, String name) throws IOException {
        return ChildJvm.logFile(ns, name);
    }

    /** The first few transactions whose vectors differ, with the features that differ. */
    /**
     * The vectors whose entity and profile features differ. Merchant features are left out: a
     * backlog reaches each merchant's task in an order that depends on how the entity tasks
     * progressed, which differs between two runs (see the README, "Merchant features").
     */
    private static List<String> differences(
            Map<String, List<Float>> expected, Map<String, List<Float>> actual) {
        FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);
        List<String> names = spec.featureNames();
        List<Integer> compared = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (!(spec.features().get(i) instanceof FeatureDef.MerchantFeature)) {
                compared.add(i);
            }
        }
        List<String> out = new ArrayList<>();
        expected.keySet().stream()
                .sorted()
                .filter(
                        k ->
                                actual.get(k) == null
                                        || compared.stream()
                                                .anyMatch(
                                                        i ->
                                                                !expected.get(k)
                                                                        .get(i)
                                                                        .equals(
                                                                                actual.get(k)
                                                                                        .get(i))))
                .limit(5)
                .forEach(
                        k -> {
                            StringBuilder sb = new StringBuilder(k).append(':');
                            List<Float> a = actual.get(k);
                            for (int i : compared) {
                                if (a == null || !expected.get(k).get(i).equals(a.get(i))) {
                                    sb.append(' ')
                                            .append(names.get(i))
                                            .append(' ')
                                            .append(expected.get(k).get(i))
                                            .append("!=")
                                            .append(a == null ? null : a.get(i));
                                }
                            }
                            out.add(sb.toString());
                        });
        return out;
    }

    /** The stage's sub-topologies for these settings (merchant features add two). */
    private static int subtopologies(Map<String, String> config) {
        FeatureConfig c = new FeatureConfig(config);
        TopicCatalog catalog = c.catalog();
        Properties props =
                FeatureApp.streamsProperties(c, catalog, FeatureMetrics.standalone(), -1);
        return FeatureTopology.build(
                        new StreamsBuilder(),
                        catalog,
                        c.spec(),
                        FeatureApp.options(c),
                        FeatureMetrics.standalone(),
                        props)
                .describe()
                .subtopologies()
                .size();
    }

    private static long activeTasks(FeatureApp app) {
        return app.streams().metadataForLocalThreads().stream()
                .mapToLong(t -> t.activeTasks().size())
                .sum();
    }

    private static double childVectors(String url, AtomicReference<Object> last) {
        try {
            String body = Http.get(url).body();
            last.set(body);
            return Prometheus.sum(body, "tideline_features_vectors_total");
        } catch (Exception e) {
            last.set(e);
            return 0;
        }
    }

    /**
     * Accounts, then transactions in event-time order per entity, two garbage records and one late
     * event.
     */
    private static List<ProducerRecord<byte[], byte[]>> input(LocalStack stack) {
        TopicCatalog serdes = catalog(stack, "serdes-" + UUID.randomUUID() + ".");
        Random random = new Random(42);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        String[] countries = {"DE", "FR", "NL"};
        for (int e = 0; e < ENTITIES; e++) {
            String id = "acct-" + e;
            Account a =
                    Account.newBuilder()
                            .setAccountId(id)
                            .setCreatedAt(T0.minus(Duration.ofDays(30 + e)))
                            .setCreditLimitMinor(100_000L * (1 + e % 7))
                            .setHomeCountry(countries[e % 3])
                            .setRiskTier(RiskTier.values()[e % 4])
                            .setUpdatedAt(T0.minus(Duration.ofDays(1)))
                            .build();
            out.add(
                    record(
                            "accounts",
                            id,
                            serdes.accounts()
                                    .valueSerde()
                                    .serializer()
                                    .serialize(serdes.accounts().name(), a),
                            T0.minus(Duration.ofDays(1))));
        }
        out.add(record("accounts", "acct-x", "garbage row".getBytes(StandardCharsets.UTF_8), T0));
        Instant t = T0;
        for (int i = 0; i < EVENTS; i++) {
            t = t.plusMillis(random.nextInt(20_000));
            String entity = "acct-" + random.nextInt(ENTITIES);
            Transaction tx =
                    Transaction.newBuilder()
                            .setTxnId("txn-" + i)
                            .setEntityId(entity)
                            .setMerchantId("m-" + random.nextInt(30))
                            .setAmountMinor(100 + random.nextInt(200_000))
                            .setCurrency(i % 10 == 0 ? "JPY" : "EUR")
                            .setCountry(countries[random.nextInt(3)])
                            .setChannel(Channel.values()[1 + random.nextInt(5)])
                            .setEventTime(t)
                            .build();
            out.add(
                    record(
                            "transactions",
                            entity,
                            serdes.transactions()
                                    .valueSerde()
                                    .serializer()
                                    .serialize(serdes.transactions().name(), tx),
                            t));
            if (i == EVENTS / 3 || i == 2 * EVENTS / 3) {
                out.add(
                        record(
                                "transactions",
                                entity,
                                ("garbage " + i).getBytes(StandardCharsets.UTF_8),
                                t));
            }
            if (i == EVENTS / 2) {
                Transaction late =
                        Transaction.newBuilder(tx)
                                .setTxnId("late-" + i)
                                .setEventTime(t.minus(Duration.ofHours(1)))
                                .build();
                out.add(
                        record(
                                "transactions",
                                entity,
                                serdes.transactions()
                                        .valueSerde()
                                        .serializer()
                                        .serialize(serdes.transactions().name(), late),
                                t));
            }
        }
        return out;
    }

    private static ProducerRecord<byte[], byte[]> record(
            String topic, String key, byte[] value, Instant at) {
        return new ProducerRecord<>(
                topic, null, at.toEpochMilli(), key.getBytes(StandardCharsets.UTF_8), value);
    }

    /**
     * Writes records [from, to) to the catalog's topics, partitioned by key: account rows by the
     * Java client's partitioner, as Debezium writes them, and transactions by {@code
     * partitioner}'s.
     */
    private static void produce(
            LocalStack stack,
            TopicCatalog catalog,
            List<ProducerRecord<byte[], byte[]>> records,
            int from,
            int to,
            Partitioning partitioner) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        Map<String, Object> transactionsConfig = new HashMap<>(config);
        if (partitioner == Partitioning.LIBRDKAFKA) {
            transactionsConfig.put(
                    ProducerConfig.PARTITIONER_CLASS_CONFIG, LibrdkafkaPartitioner.class);
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> accounts =
                        new KafkaProducer<>(
                                config, new ByteArraySerializer(), new ByteArraySerializer());
                KafkaProducer<byte[], byte[]> transactions =
                        new KafkaProducer<>(
                                transactionsConfig,
                                new ByteArraySerializer(),
                                new ByteArraySerializer())) {
            // Account rows are written before any payment, as in production, where an account
            // exists before it pays: a payment is joined with the row its task has read before it.
            boolean accountsWritten = false;
            for (ProducerRecord<byte[], byte[]> r : records.subList(from, to)) {
                boolean account = r.topic().equals("accounts");
                if (!account && !accountsWritten) {
                    accounts.flush();
                    accountsWritten = true;
                }
                String topic = account ? catalog.accounts().name() : catalog.transactions().name();
                sent.add(
                        (account ? accounts : transactions)
                                .send(
                                        new ProducerRecord<>(
                                                topic, null, r.timestamp(), r.key(), r.value())));
            }
            accounts.flush();
            transactions.flush();
        }
        // A record the broker refused would leave the count short: fail here, saying why.
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } catch (ExecutionException e) {
                throw new AssertionError("input record not written", e.getCause());
            }
        }
    }

    /**
     * Reads the feature topic, read_committed, until {@code count} vectors arrived, then to its
     * end.
     */
    private static Map<String, List<Float>> vectors(
            LocalStack stack, TopicCatalog catalog, String app, int count, FeatureApp... running) {
        Map<String, List<Float>> out = new HashMap<>();
        List<ConsumerRecord<byte[], FeatureVector>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], FeatureVector> consumer =
                consumer(
                        stack,
                        catalog.features().name(),
                        catalog.features().valueSerde().deserializer())) {
            try {
                await().atMost(TIMEOUT)
                        .pollInterval(Duration.ZERO)
                        .until(
                                () -> {
                                    consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                                    return all.size() >= count;
                                });
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(
                        all.size()
                                + " of "
                                + count
                                + " vectors after "
                                + TIMEOUT
                                + "; "
                                + progress(stack, catalog, app, running),
                        e);
            }
            Topics.drainToEnd(consumer, all);
        }
        for (ConsumerRecord<byte[], FeatureVector> r : all) {
            List<Float> previous = out.put(r.value().getTxnId(), r.value().getValues());
            assertThat(previous).as("second vector for %s", r.value().getTxnId()).isNull();
            assertThat(new String(r.key(), StandardCharsets.UTF_8))
                    .isEqualTo(r.value().getEntityId());
        }
        return out;
    }

    /**
     * Where the stage stands, for a failure message: each instance's state and tasks, and per
     * partition the input's end offset, the offset the stage committed and the output's end offset.
     */
    private static String progress(
            LocalStack stack, TopicCatalog catalog, String app, FeatureApp... running) {
        StringBuilder sb = new StringBuilder();
        for (FeatureApp a : running) {
            sb.append("instance ").append(a.streams().state());
            a.streams()
                    .metadataForLocalThreads()
                    .forEach(
                            t ->
                                    sb.append(' ')
                                            .append(t.threadName())
                                            .append(' ')
                                            .append(t.threadState())
                                            .append(" active ")
                                            .append(t.activeTasks().size()));
            sb.append("; ");
        }
        try (Admin admin =
                        Admin.create(
                                Map.<String, Object>of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        stack.bootstrapServers()));
                KafkaConsumer<byte[], byte[]> consumer =
                        consumer(stack, catalog.features().name(), new ByteArrayDeserializer())) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(catalog.config().prefix() + app)
                            .partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS);
            for (String topic :
                    List.of(
                            catalog.transactions().name(),
                            catalog.features().name(),
                            catalog.deadLetter(catalog.transactions()).name())) {
                List<TopicPartition> partitions =
                        consumer.partitionsFor(topic).stream()
                                .map(p -> p.partition())
                                .sorted()
                                .map(p -> new TopicPartition(topic, p))
                                .toList();
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                sb.append(topic)
                        .append(" end offsets ")
                        .append(partitions.stream().map(end::get).toList());
                if (topic.equals(catalog.transactions().name())) {
                    sb.append(", committed ")
                            .append(
                                    partitions.stream()
                                            .map(
                                                    p ->
                                                            committed.containsKey(p)
                                                                    ? committed.get(p).offset()
                                                                    : null)
                                            .toList());
                }
                sb.append("; ");
            }
        } catch (Exception e) {
            sb.append("offsets not read: ").append(e);
        }
        return sb.toString();
    }

    private static long committedVectors(LocalStack stack, TopicCatalog catalog) {
        return Topics.endOffsetSum(stack.bootstrapServers(), catalog.features().name());
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(
            LocalStack stack, String topic, Deserializer<byte[]> values) {
        return Topics.readToEnd(
                stack.bootstrapServers(), topic, new ByteArrayDeserializer(), values);
    }

    private static <V> KafkaConsumer<byte[], V> consumer(
            LocalStack stack, String topic, Deserializer<V> values) {
        return Topics.fromStart(
                stack.bootstrapServers(), topic, new ByteArrayDeserializer(), values);
    }

    private static TopicCatalog catalog(LocalStack stack, String prefix) {
        Map<String, String> values =
                Map.of(
                        "tideline.topics.prefix",
                        prefix,
                        "tideline.topics.partitions",
                        String.valueOf(PARTITIONS));
        return ClientSettings.catalog(values, ClientSettings.registry(stack.registryUrl(), values));
    }

    private static Map<String, String> config(
            LocalStack stack, TopicCatalog catalog, String app, Path stateDir, int port) {
        Map<String, String> c = new HashMap<>();
        c.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        c.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        c.put("tideline.topics.prefix", catalog.config().prefix());
        c.put("tideline.topics.partitions", String.valueOf(PARTITIONS));
        c.put(FeatureConfig.APPLICATION_ID, catalog.config().prefix() + app);
        c.put(FeatureConfig.STATE_DIR, stateDir.toString());
        c.put(FeatureConfig.HTTP_PORT, String.valueOf(port));
        // A killed member's partitions move after the session timeout: keep it short here.
        c.put(FeatureConfig.STREAMS_PREFIX + "session.timeout.ms", "6000");
        c.put(FeatureConfig.STREAMS_PREFIX + "heartbeat.interval.ms", "1000");
        return c;
    }

    private static FeatureApp start(Map<String, String> config) {
        return FeatureApp.start(new FeatureConfig(config));
    }

    /** Starts an instance in its own JVM, as {@code java -jar} would in production. */
    private static Process launch(Map<String, String> config, Path log) throws IOException {
        return ChildJvm.start(FeatureMain.class, config, "256m", log);
    }
}
