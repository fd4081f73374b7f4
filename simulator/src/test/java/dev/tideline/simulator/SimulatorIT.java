package dev.tideline.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.connectors.CdcMetrics;
import dev.tideline.connectors.CdcRunner;
import dev.tideline.connectors.SourceDatabase;
import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Label;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator against a real broker, registry and PostgreSQL with CDC capturing it: payments on
 * the transactions topic within the broker's time limits, accounts and chargebacks through the
 * database to their topics.
 */
@Tag("integration")
@WithLocalStack(postgres = true)
class SimulatorIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private LocalStack stack;
    private TopicCatalog catalog;
    private String jdbcUrl;
    private CdcRunner cdc;

    @BeforeEach
    void setUp(LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        this.stack = stack;
        String database = ns.prefix().replaceAll("[^a-z0-9]", "_").replaceAll("_+$", "");
        sql(stack.jdbc().url(), "CREATE DATABASE " + database);
        jdbcUrl = stack.jdbc().url().replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");
        SourceDatabase.migrate(jdbcUrl, stack.jdbc().user(), stack.jdbc().password());
        catalog = TestCatalogs.bootstrapped(stack, ns.prefix(), 4);
        cdc =
                CdcRunner.start(
                        new CdcRunner.Settings(
                                jdbcUrl,
                                stack.jdbc().user(),
                                stack.jdbc().password(),
                                "slot_" + database,
                                "tideline_cdc",
                                dir.resolve("offsets.dat"),
                                stack.bootstrapServers(),
                                Map.of()),
                        catalog,
                        new CdcMetrics(new SimpleMeterRegistry()));
    }

    @AfterEach
    void tearDown() {
        if (cdc != null) {
            cdc.close();
        }
    }

    private static SimulationSettings small(Duration history) {
        return settings(11, 30, history);
    }

    /** 60 customers and 20 merchants at {@code rate} payments a second, 5% of them fraud. */
    private static SimulationSettings settings(long seed, double rate, Duration history) {
        SimulationSettings d = SimulationSettings.defaults();
        return new SimulationSettings(
                        seed,
                        60,
                        20,
                        rate,
                        history,
                        0.05,
                        d.mix(),
                        d.compromise(),
                        d.chargebackMin(),
                        d.chargebackMax())
                .scaledTo(history);
    }

    @Test
    void writesHistoryWithinTheBrokersLimitsAndAccountsAndChargebacksThroughCdc() throws Exception {
        long before = System.currentTimeMillis();
        Simulator simulator =
                Simulator.start(
                        small(Duration.ofMinutes(5)),
                        target(),
                        Duration.ofSeconds(5),
                        TIMEOUT,
                        null);
        assertThat(simulator.await(TIMEOUT)).isTrue();
        assertThat(simulator.failure()).isNull();
        assertThat(simulator.phase()).isEqualTo(Simulator.Phase.DONE);
        long after = System.currentTimeMillis();
        Simulator.Counts counts = simulator.counts();
        assertThat(counts.frauds.get()).isPositive();

        // Every payment was accepted, stamped with an event time in the history or live span,
        // never ahead of the wall clock.
        List<ConsumerRecord<byte[], byte[]>> payments =
                Topics.readToEnd(stack.bootstrapServers(), catalog.transactions().name());
        assertThat(payments).hasSize((int) counts.payments.get());
        for (ConsumerRecord<byte[], byte[]> r : payments) {
            assertThat(r.timestamp())
                    .isGreaterThanOrEqualTo(before - Duration.ofMinutes(5).toMillis())
                    .isLessThanOrEqualTo(after);
        }

        // Accounts and chargebacks went into the database and came out of CDC.
        Set<String> accountRows = column("SELECT account_id FROM accounts");
        assertThat(accountRows).hasSize((int) counts.accounts.get()).hasSizeGreaterThan(60);
        Set<String> captured = new HashSet<>();
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> {
                            Topics.readToEnd(stack.bootstrapServers(), catalog.accounts().name())
                                    .forEach(
                                            r ->
                                                    captured.add(
                                                            new String(
                                                                    r.key(),
                                                                    StandardCharsets.UTF_8)));
                            assertThat(captured).isEqualTo(accountRows);
                        });
        Set<String> chargebackRows = column("SELECT txn_id FROM chargebacks");
        assertThat(chargebackRows).hasSize((int) counts.chargebacks.get()).isNotEmpty();
        Set<String> labelled = new HashSet<>();
        await().atMost(TIMEOUT)
                .untilAsserted(
                        () -> {
                            for (ConsumerRecord<byte[], byte[]> r :
                                    Topics.readToEnd(
                                            stack.bootstrapServers(), catalog.labels().name())) {
                                Label l =
                                        catalog.labels()
                                                .valueSerde()
                                                .deserializer()
                                                .deserialize(r.topic(), r.value());
                                assertThat(l.getIsFraud()).isTrue();
                                assertThat(l.getMerchantId())
                                        .as("the chargeback names the payment's merchant")
                                        .isNotBlank();
                                assertThat(simulator.truth().of(l.getTxnId()).fraud()).isTrue();
                                labelled.add(l.getTxnId());
                            }
                            assertThat(labelled).isEqualTo(chargebackRows);
                        });
    }

    /**
     * Closing the simulator while it writes live payments ends the run with what it counted sent on
     * the topic: a payment counted is a payment the pipeline must predict, so none may be dropped
     * from the producer's buffer when the run is stopped.
     */
    @Test
    void closedMidRunEveryPaymentCountedIsOnTheTopic() throws Exception {
        SimulationSettings busy = settings(12, 3_000, Duration.ofSeconds(5));
        long counted = 0;
        for (int run = 0; run < 3; run++) {
            Simulator simulator = Simulator.start(busy, target(), Duration.ZERO, TIMEOUT, null);
            await().atMost(TIMEOUT)
                    .failFast(() -> simulator.phase() == Simulator.Phase.FAILED)
                    .until(
                            () ->
                                    simulator.phase() == Simulator.Phase.LIVE
                                            && simulator.counts().payments.get()
                                                    > simulator.historyPayments() + 2_000);
            simulator.close();
            assertThat(simulator.failure()).as("run %d", run).isNull();
            counted += simulator.counts().payments.get();
            assertThat(Topics.readToEnd(stack.bootstrapServers(), catalog.transactions().name()))
                    .as("run %d: payments on the topic, against those counted sent", run)
                    .hasSize((int) counted);
        }
    }

    @Test
    void refusesAHistoryOlderThanTheTopicsKeepRecords() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.incrementalAlterConfigs(
                            Map.of(
                                    new ConfigResource(
                                            ConfigResource.Type.TOPIC, catalog.features().name()),
                                    List.of(
                                            new AlterConfigOp(
                                                    new ConfigEntry("retention.ms", "5400000"),
                                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get();
        }
        Simulator simulator =
                Simulator.start(
                        small(Duration.ofMinutes(45)), target(), Duration.ZERO, TIMEOUT, null);
        assertThat(simulator.await(TIMEOUT)).isTrue();
        assertThat(simulator.phase()).isEqualTo(Simulator.Phase.FAILED);
        assertThat(simulator.failure())
                .hasMessageContaining("--history PT45M")
                .hasMessageContaining(catalog.features().name())
                .hasMessageContaining("retention.ms=5400000");
        assertThat(simulator.counts().payments.get()).isZero();
    }

    private Target target() {
        return new Target(
                Map.of("bootstrap.servers", stack.bootstrapServers()),
                catalog,
                jdbcUrl,
                stack.jdbc().user(),
                stack.jdbc().password());
    }

    private Set<String> column(String query) throws SQLException {
        Set<String> out = new HashSet<>();
        try (Connection c =
                        DriverManager.getConnection(
                                jdbcUrl, stack.jdbc().user(), stack.jdbc().password());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private void sql(String url, String statement) throws SQLException {
        try (Connection c =
                        DriverManager.getConnection(
                                url, stack.jdbc().user(), stack.jdbc().password());
                Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
