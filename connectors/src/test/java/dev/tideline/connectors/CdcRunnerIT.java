package dev.tideline.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.testkit.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded CDC runner against embedded PostgreSQL, a real broker and the registry. */
@WithLocalStack(postgres = true)
class CdcRunnerIT {

    private static final Logger log = LoggerFactory.getLogger(CdcRunnerIT.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private LocalStack stack;
    private TopicCatalog catalog;
    private String jdbcUrl;
    private String slot;
    private Path offsets;
    private final List<CdcRunner> runners = new ArrayList<>();

    @BeforeEach
    void setUp(LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        this.stack = stack;
        String database = ns.prefix().replaceAll("[^a-z0-9]", "_").replaceAll("_+$", "");
        slot = "slot_" + database;
        try (Connection c =
                        DriverManager.getConnection(
                                stack.jdbc().url(), stack.jdbc().user(), stack.jdbc().password());
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        jdbcUrl = stack.jdbc().url().replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");
        SourceDatabase.migrate(jdbcUrl, stack.jdbc().user(), stack.jdbc().password());
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        catalog =
                TopicCatalog.create(
                        new TopicCatalogConfig(
                                Map.of(
                                        TopicCatalogConfig.PREFIX,
                                        ns.prefix(),
                                        TopicCatalogConfig.PARTITIONS,
                                        "2")),
                        registry);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
        }
        offsets = dir.resolve("offsets.dat");
    }

    @AfterEach
    void tearDown() {
        runners.forEach(CdcRunner::close);
    }

    @Test
    void migratingAnUpToDateDatabaseAppliesNothingAndReportsItsVersion() {
        MigrateResult again =
                SourceDatabase.migrate(jdbcUrl, stack.jdbc().user(), stack.jdbc().password());

        assertThat(again.migrationsExecuted).isZero();
        assertThat(SourceDatabase.version(again)).isEqualTo("3");
    }

    @Test
    void snapshotsThenStreamsInsertsUpdatesAndDeletes() throws Exception {
        sql(
                "INSERT INTO accounts VALUES ('a1', '2026-01-02T03:04:05Z', 500000, 'DE', 'LOW',"
                        + " '2026-01-02T03:04:05Z')",
                "INSERT INTO chargebacks VALUES ('t1', 'a1', true, '2026-11-20T10:00:00Z')");
        CdcRunner runner = start();

        List<ConsumerRecord<byte[], byte[]>> snapshot = accounts(1);
        Account a1 = latest(snapshot).get("a1");
        assertThat(a1.getCreatedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(snapshot.get(0).timestamp())
                .as("an account row is stamped with the time it took effect, its updated_at")
                .isEqualTo(Instant.parse("2026-01-02T03:04:05Z").toEpochMilli());
        assertThat(a1.getCreditLimitMinor()).isEqualTo(500_000);
        assertThat(a1.getHomeCountry()).isEqualTo("DE");
        assertThat(a1.getRiskTier()).isEqualTo(RiskTier.LOW);
        Label t1 = labels(1).get(0);
        assertThat(t1.getTxnId()).isEqualTo("t1");
        assertThat(t1.getAccountId()).isEqualTo("a1");
        assertThat(t1.getIsFraud()).isTrue();
        assertThat(t1.getReportedAt()).isEqualTo(Instant.parse("2026-11-20T10:00:00Z"));
        assertThat(runner.metrics().events("accounts", "r")).isEqualTo(1);

        sql(
                "INSERT INTO accounts VALUES ('a2', '2026-03-01T00:00:00Z', 100, 'fr', 'high',"
                        + " now())",
                "UPDATE accounts SET credit_limit_minor = 750000, risk_tier = 'MEDIUM' WHERE"
                        + " account_id = 'a1'",
                "DELETE FROM accounts WHERE account_id = 'a2'",
                "INSERT INTO chargebacks VALUES ('t2', 'a1', false, '2026-11-21T10:00:00Z',"
                        + " 'm-9')",
                "UPDATE chargebacks SET is_fraud = false WHERE txn_id = 't1'");

        List<ConsumerRecord<byte[], byte[]>> records = raw(catalog.accounts().name(), 4);
        Map<String, Account> latest = latest(records);
        assertThat(latest.get("a1").getCreditLimitMinor()).isEqualTo(750_000);
        assertThat(latest.get("a1").getRiskTier()).isEqualTo(RiskTier.MEDIUM);
        assertThat(latest.get("a1").getUpdatedAt()).isAfter(a1.getUpdatedAt());
        assertThat(latest).containsKey("a2").containsEntry("a2", null);
        ConsumerRecord<byte[], byte[]> insertA2 =
                records.stream()
                        .filter(r -> key(r).equals("a2") && r.value() != null)
                        .findFirst()
                        .orElseThrow();
        Account a2 = decodeAccount(insertA2.value());
        assertThat(a2.getHomeCountry()).isEqualTo("FR");
        assertThat(a2.getRiskTier()).isEqualTo(RiskTier.HIGH);
        List<Label> labels = labels(3);
        assertThat(labels).extracting(Label::getTxnId).containsExactly("t1", "t2", "t1");
        assertThat(labels)
                .as("the merchant when the row names one")
                .extracting(Label::getMerchantId)
                .containsExactly(null, "m-9", null);
        assertThat(labels.get(2).getIsFraud())
                .as("the updated chargeback is the latest label for t1")
                .isFalse();
        assertThat(runner.metrics().events("accounts", "d")).isEqualTo(1);
        assertThat(runner.metrics().lagMs()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void resumesAfterARestartWithoutSnapshottingAgainOrLosingChanges() throws Exception {
        sql("INSERT INTO accounts VALUES ('a1', now(), 1, 'DE', 'LOW', now())");
        CdcRunner first = start();
        // The snapshot has been read once a1 is out; later rows stream from the slot.
        await().atMost(TIMEOUT).until(() -> first.metrics().events("accounts", "r") == 1);
        insertChargebacks(0, 300);
        await().atMost(TIMEOUT).until(() -> first.metrics().events("chargebacks", "c") >= 100);
        first.close();
        insertChargebacks(300, 600);

        CdcRunner second = start();
        // Rows repeated after the restart count towards the records read: wait for every row.
        Set<String> distinct = new HashSet<>();
        List<Label> labels = new ArrayList<>();
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> {
                            labels.clear();
                            labels.addAll(labels(1));
                            distinct.clear();
                            labels.forEach(l -> distinct.add(l.getTxnId()));
                            assertThat(distinct).hasSize(600);
                        });
        // Duplicates, if any, are whole rows repeated after the last offset flush: consumers dedupe
        // by key.
        log.info("restart: {} label records for {} rows", labels.size(), distinct.size());
        assertThat(second.metrics().events("accounts", "r")).as("no new snapshot").isZero();
        assertThat(raw(catalog.accounts().name(), 1)).hasSize(1);
    }

    @Test
    void deliversTenThousandBulkChargebacksAsTenThousandLabels() throws Exception {
        start();
        long t0 = System.nanoTime();
        sql(
                "INSERT INTO chargebacks SELECT 'bulk-' || g, 'a' || (g % 100), g % 7 = 0, now()"
                        + " FROM generate_series(1, 10000) g");
        List<Label> labels = labels(10_000);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Set<String> distinct = new HashSet<>();
        labels.forEach(l -> distinct.add(l.getTxnId()));
        assertThat(distinct).hasSize(10_000);
        assertThat(labels.stream().filter(Label::getIsFraud).count()).isEqualTo(10_000 / 7);
        log.info(
                "bulk: 10000 chargebacks to labels in {} s ({} rows/s)",
                String.format("%.2f", seconds),
                Math.round(10_000 / seconds));
    }

    @Test
    void measuresChangeToKafkaLatency() throws Exception {
        start();
        int n = 200;
        for (int i = 0; i < n; i++) {
            sql("INSERT INTO chargebacks VALUES ('lat-" + i + "', 'a1', false, clock_timestamp())");
        }
        List<ConsumerRecord<byte[], byte[]>> records = raw(catalog.labels().name(), n);
        List<Long> latencies = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Label label =
                    catalog.labels().valueSerde().deserializer().deserialize(r.topic(), r.value());
            latencies.add(r.timestamp() - label.getReportedAt().toEpochMilli());
        }
        latencies.sort(Long::compare);
        log.info(
                "change to Kafka latency over {} single-row transactions: p50 {} ms, p99 {} ms, max"
                        + " {} ms",
                n,
                latencies.get(n / 2),
                latencies.get(n * 99 / 100),
                latencies.get(n - 1));
        assertThat(latencies).hasSize(n).allSatisfy(l -> assertThat(l).isGreaterThanOrEqualTo(0));
    }

    @Test
    void deadLettersRowsTheContractCannotCarryAndKeepsGoing() throws Exception {
        CdcRunner runner = start();
        sql(
                "INSERT INTO accounts VALUES ('no-country', now(), 1, NULL, 'LOW', now())",
                "INSERT INTO accounts VALUES ('bad-tier', now(), 1, 'DE', 'EXTREME', now())",
                "INSERT INTO accounts VALUES ('bad-limit', now(), -5, 'DE', 'LOW', now())",
                "INSERT INTO chargebacks VALUES ('no-account', NULL, true, now())",
                "INSERT INTO accounts VALUES ('good', now(), 1, 'DE', 'LOW', now())");

        assertThat(latest(accounts(1))).containsOnlyKeys("good");
        List<ConsumerRecord<byte[], byte[]>> dead = raw(catalog.cdcDeadLetter().name(), 4);
        assertThat(dead)
                .extracting(r -> DeadLetter.header(r.headers(), DeadLetter.REASON))
                .containsExactlyInAnyOrder(
                        "missing-value", "invalid-value", "invalid-value", "missing-value");
        assertThat(dead)
                .extracting(CdcRunnerIT::key)
                .containsExactlyInAnyOrder("no-country", "bad-tier", "bad-limit", "no-account");
        ConsumerRecord<byte[], byte[]> noCountry =
                dead.stream().filter(r -> key(r).equals("no-country")).findFirst().orElseThrow();
        assertThat(DeadLetter.header(noCountry.headers(), DeadLetter.ERROR_MESSAGE))
                .contains("public.accounts.home_country is empty");
        assertThat(DeadLetter.header(noCountry.headers(), DeadLetter.SOURCE_TOPIC))
                .isEqualTo("public.accounts");
        assertThat(new String(noCountry.value(), StandardCharsets.UTF_8)).contains("no-country");
        assertThat(runner.metrics().deadLetters("invalid-value")).isEqualTo(2);
        assertThat(runner.state()).isEqualTo(CdcRunner.State.RUNNING);
    }

    @Test
    void ignoresAnAddedColumnAndStopsOnARenamedRequiredOneNamingIt() throws Exception {
        CdcRunner runner = start();
        sql(
                "ALTER TABLE accounts ADD COLUMN nickname text",
                "INSERT INTO accounts VALUES ('with-nickname', now(), 1, 'DE', 'LOW', now(),"
                        + " 'Bob')");
        assertThat(latest(accounts(1))).containsKey("with-nickname");

        sql(
                "ALTER TABLE accounts RENAME COLUMN home_country TO country",
                "INSERT INTO accounts VALUES ('after-rename', now(), 1, 'DE', 'LOW', now(), 'Al')");
        assertThat(runner.awaitDone(TIMEOUT)).isTrue();
        assertThat(runner.state()).isEqualTo(CdcRunner.State.FAILED);
        assertThat(runner.failure())
                .isInstanceOf(SchemaDriftException.class)
                .hasMessageContaining("table public.accounts has no column 'home_country'");
    }

    @Test
    void servesHealthAndMetricsAndReportsDrift(@TempDir Path dir) throws Exception {
        Map<String, String> values = new HashMap<>();
        values.put("tideline.kafka.bootstrap-servers", stack.bootstrapServers());
        values.put("tideline.registry.url", stack.registryUrl());
        values.put("tideline.topics.prefix", catalog.config().prefix());
        values.put(CdcConfig.JDBC_URL, jdbcUrl);
        values.put(CdcConfig.SLOT, slot);
        values.put(CdcConfig.OFFSETS_FILE, dir.resolve("app/offsets.dat").toString());
        values.put(CdcConfig.MIGRATE, "true");
        values.put(CdcConfig.HTTP_PORT, "0");
        try (CdcApp app = CdcApp.start(new CdcConfig(values))) {
            sql("INSERT INTO accounts VALUES ('h1', now(), 1, 'DE', 'LOW', now())");
            accounts(1);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://localhost:" + app.httpPort();
            HttpResponse<String> health = get(http, base + "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"state\":\"RUNNING\"").contains("\"lag_ms\"");
            assertThat(get(http, base + "/metrics").body())
                    .containsPattern(
                            "tideline_cdc_events_total\\{op=\"[rc]\",table=\"accounts\"} 1.0")
                    .contains("tideline_cdc_lag_seconds");

            sql(
                    "ALTER TABLE accounts DROP COLUMN risk_tier",
                    "INSERT INTO accounts VALUES ('h2', now(), 1, 'DE', now())");
            assertThat(app.awaitDone(TIMEOUT)).isTrue();
            HttpResponse<String> failed = get(http, base + "/health");
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(failed.body())
                    .contains("FAILED")
                    .contains("table public.accounts has no column 'risk_tier'");
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private CdcRunner start() {
        CdcRunner runner =
                CdcRunner.start(
                        new CdcRunner.Settings(
                                jdbcUrl,
                                stack.jdbc().user(),
                                stack.jdbc().password(),
                                slot,
                                "tideline_cdc",
                                offsets,
                                stack.bootstrapServers(),
                                Map.of()),
                        catalog,
                        new CdcMetrics(new SimpleMeterRegistry()));
        runners.add(runner);
        return runner;
    }

    private void insertChargebacks(int from, int to) throws SQLException {
        for (int i = from; i < to; i += 50) {
            sql(
                    "INSERT INTO chargebacks SELECT 'r-' || g, 'a1', false, now() FROM"
                            + " generate_series("
                            + i
                            + ", "
                            + (i + 49)
                            + ") g");
        }
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c =
                        DriverManager.getConnection(
                                jdbcUrl, stack.jdbc().user(), stack.jdbc().password());
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> accounts(int atLeast) {
        return raw(catalog.accounts().name(), atLeast);
    }

    private List<Label> labels(int atLeast) {
        List<Label> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : raw(catalog.labels().name(), atLeast)) {
            out.add(catalog.labels().valueSerde().deserializer().deserialize(r.topic(), r.value()));
        }
        return out;
    }

    private Map<String, Account> latest(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Account> out = new HashMap<>();
        records.forEach(r -> out.put(key(r), r.value() == null ? null : decodeAccount(r.value())));
        return out;
    }

    private Account decodeAccount(byte[] value) {
        return catalog.accounts()
                .valueSerde()
                .deserializer()
                .deserialize(catalog.accounts().name(), value);
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    /** Every record of a topic once at least {@code atLeast} arrived, read to its end. */
    private List<ConsumerRecord<byte[], byte[]>> raw(String topic, int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> out =
                new ArrayList<>(
                        Topics.readAtLeast(stack.bootstrapServers(), topic, atLeast, TIMEOUT));
        out.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp()));
        return out;
    }
}
