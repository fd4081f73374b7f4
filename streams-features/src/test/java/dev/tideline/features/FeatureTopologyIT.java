package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.avro.Transaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feature topology in {@link TopologyTestDriver}, with the real Avro serdes and registry. */
@WithLocalStack
class FeatureTopologyIT {

    /** On a tile boundary of every default window (25 s, 5 min and 2 h tiles). */
    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    private FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);
    private TopologyTestDriver driver;
    private TopicCatalog catalog;
    private FeatureMetrics metrics;
    private TestInputTopic<String, Transaction> transactions;
    private TestInputTopic<byte[], byte[]> rawTransactions;
    private TestInputTopic<String, Account> accounts;
    private TestInputTopic<String, Label> labels;
    private TestOutputTopic<String, FeatureVector> features;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    private LocalStack stack;
    private TestNamespace ns;
    private Path stateDir;

    @BeforeEach
    void setUp(LocalStack stack, TestNamespace ns, @TempDir Path stateDir) {
        this.stack = stack;
        this.ns = ns;
        this.stateDir = stateDir;
        open(Map.of());
    }

    /** Builds the driver with the test's namespace and the given settings. */
    private void open(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(overrides);
        values.put(ClientSettings.BOOTSTRAP, "unused:9092");
        values.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        values.put("tideline.topics.prefix", ns.prefix());
        values.put(FeatureConfig.APPLICATION_ID, ns.name("features"));
        values.put(FeatureConfig.STATE_DIR, stateDir.toString());
        FeatureConfig config = new FeatureConfig(values);
        catalog =
                ClientSettings.catalog(
                        config.values(),
                        ClientSettings.registry(stack.registryUrl(), config.values()));
        metrics = FeatureMetrics.standalone();
        Properties props = FeatureApp.streamsProperties(config, catalog, metrics, -1);
        driver =
                new TopologyTestDriver(
                        FeatureTopology.build(
                                new StreamsBuilder(),
                                catalog,
                                spec,
                                FeatureApp.options(config),
                                metrics,
                                props),
                        props);
        transactions =
                driver.createInputTopic(
                        catalog.transactions().name(),
                        new StringSerializer(),
                        catalog.transactions().valueSerde().serializer());
        rawTransactions =
                driver.createInputTopic(
                        catalog.transactions().name(),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        accounts =
                driver.createInputTopic(
                        catalog.accounts().name(),
                        new StringSerializer(),
                        catalog.accounts().valueSerde().serializer());
        labels =
                driver.createInputTopic(
                        catalog.labels().name(),
                        new StringSerializer(),
                        catalog.labels().valueSerde().serializer());
        features =
                driver.createOutputTopic(
                        catalog.features().name(),
                        new StringDeserializer(),
                        catalog.features().valueSerde().deserializer());
        deadLetters =
                driver.createOutputTopic(
                        catalog.deadLetter(catalog.transactions()).name(),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    @Test
    void emitsOneVectorPerEventWithHandComputedValues() {
        accounts.pipeInput(
                "e1", account("e1", T.minus(Duration.ofDays(10)), 500_000, "DE", RiskTier.MEDIUM));
        send(tx("t1", "e1", "m1", 10_000, "DE", Channel.ECOMMERCE, T));
        send(tx("t2", "e1", "m2", 5_000, "FR", Channel.CARD_PRESENT, T.plusSeconds(60)));
        send(tx("t3", "e1", "m1", 120_000, "DE", Channel.ECOMMERCE, T.plusSeconds(600)));

        List<TestRecord<String, FeatureVector>> out = features.readRecordsToList();
        assertThat(out).extracting(r -> r.value().getTxnId()).containsExactly("t1", "t2", "t3");
        FeatureVector v = out.get(2).value();
        assertThat(out.get(2).key()).isEqualTo("e1");
        assertThat(out.get(2).timestamp()).isEqualTo(T.plusSeconds(600).toEpochMilli());
        assertThat(v.getSpecId()).isEqualTo("payments");
        assertThat(v.getSpecVersion()).isEqualTo(4);
        assertThat(v.getSpecFingerprint()).isEqualTo(spec.fingerprint());
        assertThat(v.getValues()).hasSize(spec.size());

        // Third event, 10 minutes after the first: amounts 100, 50, 1200 EUR.
        expect(v, "amount", 1200);
        expect(v, "txn_count_5m", 1);
        expect(v, "txn_count_1h", 3);
        expect(v, "txn_count_24h", 3);
        expect(v, "amount_sum_5m", 1200);
        expect(v, "amount_sum_1h", 1350);
        expect(v, "amount_mean_24h", 450);
        expect(v, "amount_stddev_24h", Math.sqrt((350.0 * 350 + 400 * 400 + 750 * 750) / 3));
        expect(v, "amount_max_1h", 1200);
        expect(v, "distinct_merchants_1h", 64 * Math.log(64.0 / 62));
        expect(v, "ecommerce_ratio_24h", 2.0 / 3);
        expect(v, "large_txn_count_24h", 1);
        expect(v, "seconds_since_last", 540);
        expect(v, "amount_zscore", (1200 - 75) / 25.0);
        expect(v, "last_amount", 50);
        expect(v, "account_age_days", 10 + 600 / 86_400.0);
        expect(v, "credit_limit", 5000);
        expect(v, "risk_tier", 2);
        expect(v, "is_foreign", 0);
        expect(v, "amount_to_credit_limit", 0.24);
        expect(v, "amount_to_mean_24h", 1200 / 450.0);
        // The second event was abroad.
        expect(out.get(1).value(), "is_foreign", 1);
        // The first event has no history: entity features take their defaults.
        expect(out.get(0).value(), "seconds_since_last", -1);
        expect(out.get(0).value(), "amount_zscore", 0);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void profileFeaturesTakeDefaultsWithoutAnAccountAndFollowItsChanges() {
        send(tx("t1", "e1", "m1", 10_000, "DE", Channel.ATM, T));
        accounts.pipeInput(
                "e1", account("e1", T.minus(Duration.ofDays(1)), 100_000, "FR", RiskTier.HIGH));
        send(tx("t2", "e1", "m1", 10_000, "DE", Channel.ATM, T.plusSeconds(1)));
        accounts.pipeInput("e1", (Account) null);
        send(tx("t3", "e1", "m1", 10_000, "DE", Channel.ATM, T.plusSeconds(2)));

        List<FeatureVector> out = features.readValuesToList();
        expect(out.get(0), "account_age_days", -1);
        expect(out.get(0), "credit_limit", 0);
        expect(out.get(0), "amount_to_credit_limit", 0);
        expect(out.get(1), "account_age_days", 1 + 1 / 86_400.0);
        expect(out.get(1), "credit_limit", 1000);
        expect(out.get(1), "risk_tier", 3);
        expect(out.get(1), "is_foreign", 1);
        expect(out.get(1), "amount_to_credit_limit", 0.1);
        expect(out.get(2), "credit_limit", 0);
        expect(out.get(2), "risk_tier", 0);
    }

    @Test
    void routesEachKindOfBadInputToTheDeadLetterTopicAndKeepsGoing() {
        send(tx("ok-1", "e1", "m1", 10_000, "DE", Channel.ATM, T.plusSeconds(600)));
        rawTransactions.pipeInput(
                "e1".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
        rawTransactions.pipeInput(
                "e1".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0x0f, 0x42, 0x3f, 2, 4});
        transactions.pipeInput("e1", (Transaction) null);
        send("e2", tx("bad-key", "e1", "m1", 100, "DE", Channel.ATM, T.plusSeconds(601)));
        send(tx("bad-merchant", "e1", "", 100, "DE", Channel.ATM, T.plusSeconds(602)));
        send(tx("bad-negative", "e1", "m1", -5, "DE", Channel.ATM, T.plusSeconds(603)));
        send(
                tx(
                        "bad-absurd",
                        "e1",
                        "m1",
                        1_000_000_000_000L,
                        "DE",
                        Channel.ATM,
                        T.plusSeconds(604)));
        send(
                withCurrency(
                        tx("bad-currency", "e1", "m1", 100, "DE", Channel.ATM, T.plusSeconds(605)),
                        "ZZZ"));
        send(tx("bad-late", "e1", "m1", 100, "DE", Channel.ATM, T.plusSeconds(600 - 121)));
        send(tx("ok-2", "e1", "m1", 10_000, "DE", Channel.ATM, T.plusSeconds(600 - 119)));

        assertThat(features.readValuesToList())
                .extracting(FeatureVector::getTxnId)
                .containsExactly("ok-1", "ok-2");
        // Undeserializable bytes reach the handler (the test driver drops the dead-letter records
        // a deserialization handler returns; FeatureStageIT checks those on a real broker).
        assertThat(metrics.deadLetters("not-wire-format")).isEqualTo(1);
        assertThat(metrics.deadLetters("unknown-schema-id")).isEqualTo(1);
        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead)
                .extracting(r -> header(r.headers(), DeadLetter.REASON))
                .containsExactly(
                        "missing-value",
                        "key-mismatch",
                        "missing-field",
                        "invalid-amount",
                        "amount-out-of-range",
                        "unknown-currency",
                        "late");
        TestRecord<byte[], byte[]> first = dead.get(0);
        assertThat(first.value()).isNull();
        assertThat(header(first.headers(), DeadLetter.SOURCE_TOPIC))
                .isEqualTo(catalog.transactions().name());
        assertThat(header(first.headers(), DeadLetter.SOURCE_OFFSET)).isEqualTo("3");
        assertThat(header(first.headers(), DeadLetter.STAGE)).isEqualTo("streams-features");
        assertThat(header(first.headers(), DeadLetter.ERROR_CLASS))
                .isEqualTo(RejectedRecordException.class.getName());
        TestRecord<byte[], byte[]> late = dead.get(6);
        assertThat(header(late.headers(), DeadLetter.ERROR_MESSAGE))
                .contains("more than the grace PT2M");
        // A rejected record's original bytes are kept: they decode to what was sent.
        Transaction original =
                catalog.transactions()
                        .valueSerde()
                        .deserializer()
                        .deserialize(catalog.transactions().name(), late.value());
        assertThat(original.getTxnId()).isEqualTo("bad-late");
        assertThat(new String(late.key(), StandardCharsets.UTF_8)).isEqualTo("e1");
        assertThat(metrics.deadLetters("late")).isEqualTo(1);
        assertThat(metrics.deadLetters("unknown-currency")).isEqualTo(1);
    }

    @Test
    void deadLettersAVectorWithANonFiniteValue() {
        // Amounts near Long.MAX_VALUE yen overflow the float of a tile's sum of squares, taken as
        // they are (the built-in spec without its conversion to euros).
        driver.close();
        spec = singleCurrency(spec);
        open(Map.of(FeatureConfig.MAX_AMOUNT, "1e30"));
        for (int i = 0; i < 24; i++) {
            Transaction tx =
                    tx(
                            "huge-" + i,
                            "e1",
                            "m1",
                            i % 2 == 0 ? Long.MAX_VALUE : 1,
                            "JP",
                            Channel.ATM,
                            T.plusSeconds(i));
            tx.setCurrency("JPY");
            send(tx);
        }
        send(tx("ok", "e2", "m1", 10_000, "DE", Channel.ATM, T.plusSeconds(20)));

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).isNotEmpty();
        assertThat(dead)
                .extracting(r -> header(r.headers(), DeadLetter.REASON))
                .containsOnly("non-finite-feature");
        assertThat(header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE))
                .contains("amount_stddev_24h");
        List<FeatureVector> vectors = features.readValuesToList();
        assertThat(vectors).hasSize(25 - dead.size());
        assertThat(vectors)
                .allSatisfy(
                        v ->
                                assertThat(v.getValues())
                                        .allSatisfy(x -> assertThat(Float.isFinite(x)).isTrue()));
        assertThat(vectors.get(vectors.size() - 1).getTxnId()).isEqualTo("ok");
    }

    @Test
    void keepsGoingPastAnAccountRowThatDoesNotDeserialize() {
        TestInputTopic<byte[], byte[]> rawAccounts =
                driver.createInputTopic(
                        catalog.accounts().name(),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        rawAccounts.pipeInput(
                "e1".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
        accounts.pipeInput(
                "e1", account("e1", T.minus(Duration.ofDays(2)), 100_000, "DE", RiskTier.LOW));
        send(tx("t1", "e1", "m1", 10_000, "DE", Channel.ATM, T));

        assertThat(metrics.deadLetters("not-wire-format")).isEqualTo(1);
        expect(features.readValuesToList().get(0), "risk_tier", 1);
    }

    @Test
    void aDormantEntityKeepsItsHistoryPastItsWindowsUntilTheTtl() {
        Instant asleep = T.minus(Duration.ofDays(45));
        send(tx("s1", "sleeper", "m1", 10_000, "DE", Channel.ATM, asleep));
        send(
                tx(
                        "s2",
                        "sleeper",
                        "m1",
                        20_000,
                        "DE",
                        Channel.ATM,
                        asleep.plus(Duration.ofHours(1))));
        // Another entity moves the partition clock past every window; the punctuator runs.
        send(tx("b1", "busy", "m1", 10_000, "DE", Channel.ATM, T.minusSeconds(60)));
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(driver.getKeyValueStore(FeatureTopology.ENTITY_STORE).get("sleeper"))
                .isNotNull();
        assertThat(metrics.evictions()).isZero();

        send(tx("s3", "sleeper", "m1", 500_000, "DE", Channel.ATM, T));
        FeatureVector woke = features.readValuesToList().get(3);
        assertThat(woke.getTxnId()).isEqualTo("s3");
        expect(woke, "seconds_since_last", Duration.ofDays(45).minusHours(1).toSeconds());
        expect(woke, "last_amount", 200);
        expect(woke, "amount_zscore", (5000 - 150) / 50.0);
        // The windows emptied out with time on their own.
        expect(woke, "txn_count_24h", 1);
        expect(woke, "amount_sum_1h", 5000);
    }

    @Test
    void evictsOnlyEntitiesSilentPastTheTtlFindingThemThroughTheIndex() {
        driver.close();
        open(Map.of(FeatureConfig.ENTITY_TTL, "P2D"));
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(FeatureTopology.ENTITY_STORE);
        send(tx("i1", "idle", "m1", 10_000, "DE", Channel.ATM, T.minus(Duration.ofDays(5))));
        send(tx("b1", "busy", "m1", 10_000, "DE", Channel.ATM, T.minus(Duration.ofDays(5))));
        send(tx("b2", "busy", "m1", 10_000, "DE", Channel.ATM, T.minus(Duration.ofHours(1))));
        send(tx("o1", "other", "m1", 10_000, "DE", Channel.ATM, T.minus(Duration.ofHours(1))));
        // One entry per entity, under the bucket of its latest event: busy's moved with it.
        assertThat(indexed()).containsExactlyInAnyOrder("idle", "busy", "other");

        driver.advanceWallClockTime(Duration.ofMinutes(1));

        assertThat(store.get("idle")).isNull();
        assertThat(store.get("busy")).isNotNull();
        assertThat(store.get("other")).isNotNull();
        assertThat(metrics.evictions()).isEqualTo(1);
        assertThat(indexed()).containsExactlyInAnyOrder("busy", "other");
        send(tx("i2", "idle", "m1", 10_000, "DE", Channel.ATM, T));
        FeatureVector fresh = features.readValuesToList().get(4);
        assertThat(fresh.getTxnId()).isEqualTo("i2");
        expect(fresh, "seconds_since_last", -1);
        assertThat(indexed()).containsExactlyInAnyOrder("idle", "busy", "other");
    }

    /** The entities the expiry index holds, one per entry. */
    private List<String> indexed() {
        List<String> keys = new ArrayList<>();
        KeyValueStore<Bytes, byte[]> index =
                driver.getKeyValueStore(FeatureTopology.ENTITY_EXPIRY_STORE);
        try (KeyValueIterator<Bytes, byte[]> it = index.all()) {
            it.forEachRemaining(
                    kv -> {
                        byte[] k = kv.key.get();
                        if (k.length > 8) {
                            keys.add(new String(k, 8, k.length - 8, StandardCharsets.UTF_8));
                        }
                    });
        }
        return keys;
    }

    @Test
    void eventsFromTheFutureAreDeadLetteredWithoutMovingThePartitionClock() {
        // Ten years ahead on the same partitions as the payments that follow (the test topic has
        // one partition per key here), accepted by the broker since the producer stamped now.
        send(
                tx(
                        "future-1",
                        "e1",
                        "m1",
                        1_000,
                        "DE",
                        Channel.ECOMMERCE,
                        T.plus(Duration.ofDays(3650))));
        send(
                tx(
                        "future-2",
                        "e2",
                        "m1",
                        1_000,
                        "DE",
                        Channel.ECOMMERCE,
                        T.plus(Duration.ofDays(3650))));
        send(tx("ok-1", "e1", "m1", 1_000, "DE", Channel.ECOMMERCE, T));
        send(tx("ok-2", "e2", "m2", 2_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(30)));

        assertThat(features.readRecordsToList())
                .extracting(r -> r.value().getTxnId())
                .as("every normal payment still gets its vector")
                .containsExactlyInAnyOrder("ok-1", "ok-2");
        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead)
                .extracting(r -> header(r.headers(), DeadLetter.REASON))
                .containsExactly("future-event-time", "future-event-time");
        assertThat(header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE))
                .contains("tideline.features.max-future-skew");
    }

    @Test
    void merchantFeaturesCountPaymentsThereAndTheFraudsKnownByEachPaymentsTime() {
        // Payments of two accounts at m1 and one at m2; chargebacks naming m1 reported in between.
        send(tx("p1", "e1", "m1", 10_000, "DE", Channel.CARD_PRESENT, T));
        send(tx("p2", "e2", "m1", 20_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(120)));
        labels.pipeInput("p1", label("p1", "e1", "m1", true, T.plusSeconds(200)));
        labels.pipeInput("x", label("x", "e9", "m2", true, T.plusSeconds(200)));
        labels.pipeInput("y", label("y", "e9", "m1", false, T.plusSeconds(200)));
        send(tx("p3", "e1", "m1", 30_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(240)));
        labels.pipeInput("p2", label("p2", "e2", "m1", true, T.plusSeconds(400)));
        send(tx("p4", "e3", "m2", 5_000, "FR", Channel.ECOMMERCE, T.plusSeconds(300)));
        send(tx("p5", "e2", "m1", 1_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(4_000)));

        Map<String, FeatureVector> out = new HashMap<>();
        features.readRecordsToList().forEach(r -> out.put(r.value().getTxnId(), r.value()));
        assertThat(out).containsOnlyKeys("p1", "p2", "p3", "p4", "p5");
        // p2: the second payment at m1 in 5 minutes; no fraud known yet.
        expect(out.get("p2"), "merchant_txn_count_5m", 2);
        expect(out.get("p2"), "merchant_fraud_count_1h", 0);
        // p3: p1's chargeback was reported before it; the clean label and m2's fraud do not count.
        expect(out.get("p3"), "merchant_txn_count_5m", 3);
        expect(out.get("p3"), "merchant_fraud_count_5m", 1);
        expect(out.get("p3"), "merchant_fraud_count_1h", 1);
        expect(out.get("p3"), "merchant_fraud_rate_1h", 1.0 / 3);
        // p4 at m2: m2's own fraud; nothing of m1's.
        expect(out.get("p4"), "merchant_txn_count_1h", 1);
        expect(out.get("p4"), "merchant_fraud_count_1h", 1);
        // p5, over an hour later: both frauds out of the 1h window, in the 24h one.
        expect(out.get("p5"), "merchant_txn_count_1h", 1);
        expect(out.get("p5"), "merchant_fraud_count_1h", 0);
        expect(out.get("p5"), "merchant_fraud_count_24h", 2);
        expect(out.get("p5"), "merchant_fraud_rate_24h", 2.0 / 4);
        // The entity side is unchanged by the detour: p5 is e2's second payment.
        expect(out.get("p5"), "txn_count_24h", 2);
    }

    @Test
    void convertsEveryAmountToTheSpecsBaseCurrencyBeforeItCounts() {
        driver.close();
        spec =
                FeatureSpec.parse(
                        String.join(
                                "\n",
                                "id: mixed",
                                "version: 1",
                                "base_currency: EUR",
                                "rates: {USD: 0.9, JPY: 0.006}",
                                "windows:",
                                "  - {name: 1h, size: PT1H}",
                                "  - {name: 24h, size: PT24H}",
                                "features:",
                                "  - {name: amount, kind: event, field: amount}",
                                "  - {name: amount_sum, kind: window, agg: sum, field: amount,"
                                        + " windows: [1h]}",
                                "  - {name: amount_mean, kind: window, agg: mean, field: amount,"
                                        + " windows: [24h]}",
                                "  - {name: large_txn_count, kind: window, agg: count, where:"
                                        + " {field: amount, gte: 100}, windows: [24h]}",
                                "  - {name: credit_limit, kind: profile, field: credit_limit,"
                                        + " default: 0}",
                                "  - {name: merchant_amount_mean, kind: merchant, key: merchant_id,"
                                        + " agg: amount_mean, windows: [1h]}"),
                        "mixed");
        open(Map.of());
        accounts.pipeInput(
                "e1",
                account("e1", T.minus(Duration.ofDays(90)), 500_000, "DE", RiskTier.LOW),
                T.minus(Duration.ofDays(90)));
        // 100 EUR, 100 USD (90 EUR), 10,000 JPY (no minor units: 60 EUR), and 50 CHF, for which
        // the spec has no rate.
        send(tx("p1", "e1", "m1", 10_000, "DE", Channel.CARD_PRESENT, T));
        send(
                withCurrency(
                        tx("p2", "e1", "m1", 10_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(60)),
                        "USD"));
        send(
                withCurrency(
                        tx(
                                "p3",
                                "e1",
                                "m1",
                                10_000,
                                "DE",
                                Channel.CARD_PRESENT,
                                T.plusSeconds(120)),
                        "JPY"));
        send(
                withCurrency(
                        tx("p4", "e1", "m1", 5_000, "DE", Channel.CARD_PRESENT, T.plusSeconds(180)),
                        "CHF"));

        Map<String, FeatureVector> out = new HashMap<>();
        features.readRecordsToList().forEach(r -> out.put(r.value().getTxnId(), r.value()));
        assertThat(out).containsOnlyKeys("p1", "p2", "p3");
        expect(out.get("p2"), "amount", 90);
        expect(out.get("p3"), "amount", 60);
        expect(out.get("p3"), "amount_sum_1h", 250);
        expect(out.get("p3"), "amount_mean_24h", 250.0 / 3);
        expect(out.get("p3"), "large_txn_count_24h", 1);
        expect(out.get("p3"), "merchant_amount_mean_1h", 250.0 / 3);
        // The credit limit is read in the base currency's minor units.
        expect(out.get("p3"), "credit_limit", 5_000);
        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead)
                .extracting(r -> header(r.headers(), DeadLetter.REASON))
                .containsExactly("unknown-currency");
        assertThat(header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE))
                .contains("no rate for currency 'CHF'");
    }

    /** {@code spec} as written, but adding amounts as they are, in whatever currency. */
    private static FeatureSpec singleCurrency(FeatureSpec spec) {
        try (var in =
                FeatureSpec.class.getResourceAsStream("specs/" + FeatureSpec.DEFAULT + ".yaml")) {
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return FeatureSpec.parse(
                    text.lines()
                            .filter(l -> !l.startsWith("base_currency:") && !l.startsWith("rates:"))
                            .collect(java.util.stream.Collectors.joining("\n")),
                    spec.id() + " in one currency");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Label label(String txn, String account, String merchant, boolean fraud, Instant at) {
        return Label.newBuilder()
                .setTxnId(txn)
                .setAccountId(account)
                .setIsFraud(fraud)
                .setReportedAt(at)
                .setMerchantId(merchant)
                .build();
    }

    /** The feature's value as computed is {@code value}: the vector holds it transformed. */
    private void expect(FeatureVector v, String feature, double value) {
        int i = spec.indexOf(feature).orElseThrow();
        double written = spec.transform(feature).apply(value);
        assertThat((double) v.getValues().get(i))
                .as(feature)
                .isCloseTo(written, within(1e-3 * Math.max(1, Math.abs(written))));
    }

    private void send(Transaction tx) {
        send(tx.getEntityId(), tx);
    }

    private void send(String key, Transaction tx) {
        transactions.pipeInput(key, tx, tx.getEventTime());
    }

    private static String header(Headers headers, String key) {
        return DeadLetter.header(headers, key);
    }

    static Transaction tx(
            String id,
            String entity,
            String merchant,
            long minor,
            String country,
            Channel channel,
            Instant at) {
        return Transaction.newBuilder()
                .setTxnId(id)
                .setEntityId(entity)
                .setMerchantId(merchant)
                .setAmountMinor(minor)
                .setCurrency("EUR")
                .setCountry(country)
                .setChannel(channel)
                .setEventTime(at)
                .build();
    }

    private static Transaction withCurrency(Transaction tx, String currency) {
        tx.setCurrency(currency);
        return tx;
    }

    static Account account(
            String id, Instant created, long limitMinor, String home, RiskTier tier) {
        return Account.newBuilder()
                .setAccountId(id)
                .setCreatedAt(created)
                .setCreditLimitMinor(limitMinor)
                .setHomeCountry(home)
                .setRiskTier(tier)
                .setUpdatedAt(created)
                .build();
    }
}
