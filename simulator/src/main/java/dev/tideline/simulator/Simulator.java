package dev.tideline.simulator;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.simulator.PaymentSimulator.Event;
import dev.tideline.simulator.PaymentSimulator.Opened;
import dev.tideline.simulator.PaymentSimulator.Paid;
import dev.tideline.simulator.PaymentSimulator.Reported;
import dev.tideline.simulator.Records.AccountRow;
import dev.tideline.simulator.Records.Chargeback;
import dev.tideline.simulator.Records.Payment;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a simulation against a pipeline: first a span of history ending at the present, written as
 * fast as the pipeline takes it (the accounts before anything else, and only once CDC has them on
 * {@code cdc.accounts} the payments and chargebacks in event-time order), then live payments in
 * real time, with each chargeback inserted when its time comes. Event times never run ahead of the
 * wall clock, so payments from any other producer can join the stream.
 */
public final class Simulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Simulator.class);

    /** Where a run stands. */
    public enum Phase {
        STARTING,
        ACCOUNTS,
        HISTORY,
        LIVE,
        DONE,
        FAILED
    }

    /** Running counts, for progress displays and tests. */
    public static final class Counts {
        public final AtomicLong accounts = new AtomicLong();
        public final AtomicLong payments = new AtomicLong();
        public final AtomicLong frauds = new AtomicLong();
        public final AtomicLong chargebacks = new AtomicLong();
        public final Map<FraudScenario, AtomicLong> byScenario = new HashMap<>();

        Counts() {
            for (FraudScenario s : FraudScenario.values()) {
                byScenario.put(s, new AtomicLong());
            }
        }
    }

    private final SimulationSettings settings;
    private final Target target;
    private final Duration live;
    private final Duration accountsTimeout;
    private final Path groundTruthFile;
    private final GroundTruth truth = new GroundTruth();
    private final Counts counts = new Counts();
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.STARTING);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<Throwable> sendFailure = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;

    /** How long {@link #close()} lets the run flush its sends before interrupting it. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(60);

    private volatile long historyEnd;
    private volatile long historyPayments = Long.MAX_VALUE;

    private Simulator(
            SimulationSettings settings,
            Target target,
            Duration live,
            Duration accountsTimeout,
            Path groundTruthFile) {
        this.settings = settings;
        this.target = target;
        this.live = live;
        this.accountsTimeout = accountsTimeout;
        this.groundTruthFile = groundTruthFile;
        this.thread = new Thread(this::run, "tideline-simulator");
    }

    /**
     * Starts a run in a thread of its own.
     *
     * @param live how long to go on in real time after the history; zero runs until closed
     * @param accountsTimeout how long to wait for CDC to bring the accounts to {@code cdc.accounts}
     *     before payments are written
     * @param groundTruthFile where to write each payment's truth as JSON lines, or null
     */
    public static Simulator start(
            SimulationSettings settings,
            Target target,
            Duration live,
            Duration accountsTimeout,
            Path groundTruthFile) {
        Simulator s = new Simulator(settings, target, live, accountsTimeout, groundTruthFile);
        s.thread.start();
        return s;
    }

    public GroundTruth truth() {
        return truth;
    }

    public Counts counts() {
        return counts;
    }

    public Phase phase() {
        return phase.get();
    }

    /** Why the run failed, if it did. */
    public Throwable failure() {
        return failure.get();
    }

    /** When the history ends and live payments begin (epoch ms); 0 before the run starts. */
    public long historyEnd() {
        return historyEnd;
    }

    /** The payments of the history, once it is written ({@code Long.MAX_VALUE} before). */
    public long historyPayments() {
        return historyPayments;
    }

    /** Waits for the run to end; true when it did within the timeout. */
    public boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops the run and waits for it to end: it notices within one pacing step, flushes what it has
     * sent and closes its producer, so every payment counted is on the topic. Only a run still
     * going after {@link #CLOSE_GRACE} (a send blocked on a broker that is gone) is interrupted,
     * and what its producer still buffers is then lost.
     */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(CLOSE_GRACE.toMillis());
            if (thread.isAlive()) {
                log.warn(
                        "The simulation did not stop within {}: interrupting it; payments its"
                                + " producer still buffers are lost",
                        CLOSE_GRACE);
                thread.interrupt();
                thread.join(30_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long end = System.currentTimeMillis();
        historyEnd = end;
        long start = end - settings.history().toMillis();
        try (Admin admin = Admin.create(target.kafkaClient());
                KafkaProducer<String, Transaction> producer = producer();
                Database db =
                        new Database(target.jdbcUrl(), target.jdbcUser(), target.jdbcPassword());
                BufferedWriter truthOut = truthWriter()) {
            checkRetention(admin);
            phase.set(Phase.ACCOUNTS);
            // Every account opened within the history goes first: the feature stage joins a
            // payment with the account row as of its time, and a row must be on cdc.accounts
            // before the payments of its account are read. A second simulator with the same
            // seed draws the same history and hands out its accounts.
            List<AccountRow> accounts = new ArrayList<>();
            for (Event e : new PaymentSimulator(settings, start).advance(end)) {
                if (e instanceof Opened o) {
                    accounts.add(o.row());
                }
            }
            PaymentSimulator sim = new PaymentSimulator(settings, start);
            List<AccountRow> all = new ArrayList<>(sim.initialAccounts());
            all.addAll(accounts);
            insertAccounts(db, all);
            Set<String> written = new HashSet<>();
            all.forEach(a -> written.add(a.accountId()));
            awaitAccounts(written);
            log.info(
                    "{} accounts on {}; writing {} of history",
                    written.size(),
                    target.catalog().accounts().name(),
                    settings.history());

            phase.set(Phase.HISTORY);
            long minute = 60_000;
            for (long t = start; t < end && !closed; t = Math.min(end, t + minute)) {
                write(
                        sim.advance(Math.min(end, t + minute)),
                        producer,
                        db,
                        written,
                        truthOut,
                        false);
            }
            producer.flush();
            checkSends();
            historyPayments = counts.payments.get();
            log.info(
                    "History written: {} payments, {} frauds, {} chargebacks",
                    counts.payments.get(),
                    counts.frauds.get(),
                    counts.chargebacks.get());

            phase.set(Phase.LIVE);
            long until = live.isZero() ? Long.MAX_VALUE : end + live.toMillis();
            while (!closed && System.currentTimeMillis() < until) {
                long now = Math.min(System.currentTimeMillis(), until);
                write(sim.advance(now), producer, db, written, truthOut, true);
                checkSends();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // pacing, ~200 steps/s
            }
            producer.flush();
            checkSends();
            phase.set(Phase.DONE);
        } catch (Throwable e) {
            if (closed && (e instanceof InterruptedException || Thread.interrupted())) {
                phase.set(Phase.DONE);
            } else {
                failure.set(e);
                phase.set(Phase.FAILED);
                log.error("Simulation failed: {}", e.toString(), e);
            }
        } finally {
            done.countDown();
        }
    }

    private void write(
            List<Event> events,
            KafkaProducer<String, Transaction> producer,
            Database db,
            Set<String> written,
            BufferedWriter truthOut,
            boolean live)
            throws SQLException, IOException {
        List<AccountRow> opened = new ArrayList<>();
        List<Chargeback> reported = new ArrayList<>();
        Topic<String, Transaction> topic = target.catalog().transactions();
        for (Event e : events) {
            if (e instanceof Opened o) {
                if (written.add(o.row().accountId())) {
                    opened.add(o.row());
                }
            } else if (e instanceof Reported r) {
                reported.add(r.chargeback());
            } else if (e instanceof Paid p) {
                if (!opened.isEmpty()) {
                    insertAccounts(db, opened); // before the payments of those accounts
                    opened.clear();
                }
                Payment payment = p.payment();
                long sentAt = System.currentTimeMillis();
                truth.sent(payment, sentAt, live);
                producer.send(
                        new ProducerRecord<>(
                                topic.name(),
                                null,
                                payment.eventTime(),
                                payment.accountId(),
                                transaction(payment)),
                        (metadata, error) -> {
                            if (error != null) {
                                sendFailure.compareAndSet(null, error);
                            }
                        });
                counts.payments.incrementAndGet();
                if (payment.fraud()) {
                    counts.frauds.incrementAndGet();
                    counts.byScenario.get(payment.scenario()).incrementAndGet();
                }
                if (truthOut != null) {
                    truthOut.write(
                            "{\"txn_id\":\""
                                    + payment.txnId()
                                    + "\",\"fraud\":"
                                    + payment.fraud()
                                    + ",\"scenario\":"
                                    + (payment.fraud()
                                            ? "\"" + payment.scenario().tag() + "\""
                                            : "null")
                                    + "}\n");
                }
            }
        }
        insertAccounts(db, opened);
        if (!reported.isEmpty()) {
            // A chargeback follows its payment: the payment must have been sent.
            producer.flush();
            insertChargebacks(db, reported);
        }
    }

    static Transaction transaction(Payment p) {
        return Transaction.newBuilder()
                .setTxnId(p.txnId())
                .setEntityId(p.accountId())
                .setMerchantId(p.merchantId())
                .setAmountMinor(p.amountMinor())
                .setCurrency(p.currency())
                .setCountry(p.country())
                .setChannel(Channel.valueOf(p.channel()))
                .setEventTime(Instant.ofEpochMilli(p.eventTime()))
                .build();
    }

    private void insertAccounts(Database db, List<AccountRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        db.write(c -> insertAccountRows(c, rows));
        counts.accounts.addAndGet(rows.size());
    }

    private static void insertAccountRows(Connection db, List<AccountRow> rows)
            throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement(
                        "INSERT INTO accounts (account_id, created_at, credit_limit_minor,"
                                + " home_country, risk_tier, updated_at) VALUES (?, ?, ?, ?, ?,"
                                + " ?) ON CONFLICT (account_id) DO NOTHING")) {
            for (AccountRow a : rows) {
                st.setString(1, a.accountId());
                st.setTimestamp(2, new Timestamp(a.createdAt()));
                st.setLong(3, a.creditLimitMinor());
                st.setString(4, a.homeCountry());
                st.setString(5, a.riskTier());
                st.setTimestamp(6, new Timestamp(a.updatedAt()));
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    private void insertChargebacks(Database db, List<Chargeback> rows) throws SQLException {
        db.write(c -> insertChargebackRows(c, rows));
        counts.chargebacks.addAndGet(rows.size());
    }

    private static void insertChargebackRows(Connection db, List<Chargeback> rows)
            throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement(
                        "INSERT INTO chargebacks (txn_id, account_id, merchant_id, is_fraud,"
                                + " reported_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (txn_id) DO"
                                + " NOTHING")) {
            for (Chargeback c : rows) {
                st.setString(1, c.txnId());
                st.setString(2, c.accountId());
                st.setString(3, c.merchantId());
                st.setBoolean(4, c.fraud());
                st.setTimestamp(5, new Timestamp(c.reportedAt()));
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    /**
     * Payments carry their event time as record timestamp and the pipeline's vectors inherit it: a
     * history older than a topic's retention would be deleted as it is written.
     */
    private void checkRetention(Admin admin) throws Exception {
        List<ConfigResource> topics =
                List.of(
                        new ConfigResource(
                                ConfigResource.Type.TOPIC, target.catalog().transactions().name()),
                        new ConfigResource(
                                ConfigResource.Type.TOPIC, target.catalog().features().name()));
        Map<ConfigResource, Config> configs =
                admin.describeConfigs(topics).all().get(60, TimeUnit.SECONDS);
        for (Map.Entry<ConfigResource, Config> e : configs.entrySet()) {
            ConfigEntry retention = e.getValue().get("retention.ms");
            long ms = retention == null ? -1 : Long.parseLong(retention.value());
            // An hour to spare: the history must outlive the run that reads it.
            if (ms >= 0 && settings.history().toMillis() > ms - 3_600_000L) {
                throw new IllegalArgumentException(
                        "--history "
                                + settings.history()
                                + " reaches further back than "
                                + e.getKey().name()
                                + " keeps records (retention.ms="
                                + ms
                                + ", counted from the event time the records carry, less an"
                                + " hour); raise the topic's retention.ms or shorten --history");
            }
        }
    }

    /** Waits until every written account is on {@code cdc.accounts}. */
    private void awaitAccounts(Set<String> accounts) {
        Map<String, Object> config = new HashMap<>(target.kafkaClient());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        String topic = target.catalog().accounts().name();
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + accountsTimeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!seen.containsAll(accounts)) {
                if (closed) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    Set<String> missing = new HashSet<>(accounts);
                    missing.removeAll(seen);
                    throw new IllegalStateException(
                            missing.size()
                                    + " of "
                                    + accounts.size()
                                    + " accounts written to "
                                    + target.jdbcUrl()
                                    + " did not reach "
                                    + topic
                                    + " within "
                                    + accountsTimeout
                                    + ": is CDC capturing that database?");
                }
                consumer.poll(Duration.ofMillis(200))
                        .forEach(
                                r -> {
                                    if (r.key() != null) {
                                        seen.add(new String(r.key(), StandardCharsets.UTF_8));
                                    }
                                });
            }
        }
    }

    private KafkaProducer<String, Transaction> producer() {
        Map<String, Object> config = new HashMap<>(target.kafkaClient());
        config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 1);
        config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                target.catalog().transactions().valueSerde().serializer());
    }

    private BufferedWriter truthWriter() throws IOException {
        if (groundTruthFile == null) {
            return null;
        }
        Path parent = groundTruthFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.newBufferedWriter(groundTruthFile, StandardCharsets.UTF_8);
    }

    private void checkSends() {
        Throwable e = sendFailure.get();
        if (e != null) {
            throw new IllegalStateException(
                    "the broker refused a payment on "
                            + target.catalog().transactions().name()
                            + ": "
                            + e,
                    e);
        }
    }
}
