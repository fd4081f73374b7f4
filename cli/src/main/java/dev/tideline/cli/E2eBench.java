package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.features.FeatureConfig;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.simulator.PaymentSimulator;
import dev.tideline.simulator.Records.AccountRow;
import dev.tideline.simulator.SimulationSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench e2e}: the whole pipeline of {@code tideline demo} (local stack, CDC, the
 * feature stage, a scoring replica and the training job in its own JVM, with the simulator feeding
 * accounts, history and chargebacks beside), and a paced producer of payments at a fixed rate. Each
 * payment's send, its committed vector on {@code features.v1} and its committed prediction on
 * {@code predictions.v1} are seen by this process: the producer's clock at the send, and two {@code
 * read_committed} consumers' at the poll that returned the record. Then the rate steps up until p99
 * passes 100 ms. Prints one JSON line last.
 */
@Command(
        name = "e2e",
        mixinStandardHelpOptions = true,
        description =
                "The whole pipeline at a fixed rate, send → committed prediction; then stepped"
                        + " rates; prints one JSON line last.")
final class E2eBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(E2eBench.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TAG = "e2e-";
    private static final long BOUND_MS = 100;
    private static final long PACE_MS = 1_000;

    @Option(
            names = "--rate",
            description = "Payments per second of the measured phase (default: ${DEFAULT-VALUE}).")
    int rate = 5_000;

    @Option(
            names = "--duration",
            description = "Seconds measured at --rate (default: ${DEFAULT-VALUE}).")
    int duration = 60;

    @Option(
            names = "--warmup",
            description = "Seconds at --rate before the measured ones (default: ${DEFAULT-VALUE}).")
    int warmup = 90;

    @Option(
            names = "--steps",
            split = ",",
            description =
                    "Rates tried after the measured phase, in order, until one the pipeline does"
                            + " not keep up with (default: 10000,20000,40000; 0 for none).")
    List<Integer> steps = List.of(10_000, 20_000, 40_000);

    @Option(
            names = "--step-duration",
            description = "Seconds per step, the first 5 a warm-up (default: ${DEFAULT-VALUE}).")
    int stepDuration = 20;

    @Option(
            names = "--history",
            description =
                    "Minutes of simulated history that train the model in service before the"
                            + " measurement (default: ${DEFAULT-VALUE}).")
    int historyMinutes = 10;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A setting of the pipeline's parts, as for tideline demo (for example"
                            + " -Dtideline.features.commit-interval=PT0.025S).")
    Map<String, String> properties = new HashMap<>();

    @Option(
            names = "--commit-intervals",
            split = ",",
            paramLabel = "MS",
            description =
                    "Feature-stage commit intervals in milliseconds to compare, one whole run"
                            + " each (a fresh pipeline): prints each run's JSON line, then a table,"
                            + " writes --chart, and ends with one JSON line of every run (default:"
                            + " none, one run at the configured interval).")
    List<Integer> commitIntervals = List.of();

    @Option(
            names = "--chart",
            description =
                    "The SVG chart of a --commit-intervals comparison: latency and highest rate"
                            + " kept up with, by interval (default: ${DEFAULT-VALUE}).")
    Path chart = Path.of("e2e-commit-intervals.svg");

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BenchRuns.require(rate > 0, "--rate must be positive, not " + rate);
        BenchRuns.require(duration > 0, "--duration must be positive, not " + duration);
        BenchRuns.require(warmup >= 0, "--warmup must not be negative, not " + warmup);
        BenchRuns.require(stepDuration > 5, "--step-duration must be more than its 5 s of warm-up");
        BenchRuns.require(historyMinutes >= 1, "--history must be at least a minute");
        for (int ms : commitIntervals) {
            BenchRuns.require(ms > 0, "--commit-intervals must be positive, not " + ms);
        }
        if (commitIntervals.isEmpty()) {
            ObjectNode json = measure(properties);
            out.println(json);
            out.flush();
            return intact(json) ? 0 : 1;
        }
        ArrayNode runs = JSON.createArrayNode();
        boolean intact = true;
        for (int ms : commitIntervals) {
            Map<String, String> p = new HashMap<>(properties);
            p.put(FeatureConfig.COMMIT_INTERVAL, Duration.ofMillis(ms).toString());
            log.info("Commit interval {} ms", ms);
            ObjectNode json = measure(p);
            out.println(json);
            out.flush();
            runs.add(json);
            intact &= intact(json);
        }
        out.println(IntervalChart.table(runs));
        IntervalChart.write(runs, chart);
        log.info("Chart of the commit intervals written to {}", chart.toAbsolutePath());
        ObjectNode json = JSON.createObjectNode();
        json.put("bench", "e2e-commit-intervals");
        json.put("rate", rate);
        json.set("runs", IntervalChart.summary(runs));
        json.put("chart", chart.toString());
        json.put("cpus", Runtime.getRuntime().availableProcessors());
        out.println(json);
        out.flush();
        return intact ? 0 : 1;
    }

    private static boolean intact(ObjectNode json) {
        return json.get("lost").asLong() == 0 && json.get("duplicated").asLong() == 0;
    }

    /** One whole run: a fresh pipeline with these settings, measured at --rate, then stepped. */
    private ObjectNode measure(Map<String, String> properties) throws Exception {
        Map<String, String> values = Settings.load(Optional.empty(), BenchRuns.quiet(properties));
        SimulationSettings sim = BenchRuns.simulation(Duration.ofMinutes(historyMinutes), 1L);
        try (Demo demo = Demo.start(values, 1, sim.suggestedMaturity(), null)) {
            demo.simulate(sim, Duration.ZERO, null, false);
            log.info("Waiting for a trained model in service");
            BenchRuns.await(
                    () -> demo.servedVersion() > 0,
                    Duration.ofMinutes(5),
                    demo.simulator(),
                    "no trained model in service within 5 minutes");
            log.info("Model v{} in service", demo.servedVersion());
            List<AccountRow> accounts =
                    new PaymentSimulator(sim, System.currentTimeMillis()).initialAccounts();
            try (Observer observer =
                            new Observer(demo.client(), demo.catalog(), routing(demo)).start();
                    KafkaProducer<String, Transaction> producer =
                            producer(demo.client(), demo.catalog())) {
                Pacer pacer =
                        new Pacer(producer, demo.catalog(), accounts, sim.merchants(), observer);
                Map<String, Double> before = StageTimes.read(demo.features().streams());
                Phase measured = pacer.run(0, rate, warmup, duration);
                measured.drain(Duration.ofSeconds(60));
                log.info("At {}/s: {}", rate, measured.summary());
                log.info(
                        "Feature stage at {}/s: {}",
                        rate,
                        StageTimes.describe(before, StageTimes.read(demo.features().streams())));
                log.info(
                        "Broker request times (recent-weighted means, ms):{}",
                        BrokerTimes.describe());
                log.info("Slowest seconds at {}/s: {}", rate, measured.slowestSeconds(10));
                List<Phase> stepped = new ArrayList<>();
                long maxRate = measured.meets(BOUND_MS) ? rate : 0;
                long sustained = measured.keptPace() ? rate : 0;
                // Each step starts with nothing queued: stepping stops at the first rate the
                // pipeline did not keep up with.
                for (int r : steps) {
                    if (r <= 0 || sustained == 0) {
                        break;
                    }
                    Phase step = pacer.run(stepped.size() + 1, r, 5, stepDuration - 5);
                    boolean drained = step.drain(Duration.ofSeconds(30));
                    stepped.add(step);
                    log.info("At {}/s: {}", r, step.summary());
                    if (!drained || !step.keptPace()) {
                        break;
                    }
                    sustained = Math.max(sustained, r);
                    if (step.meets(BOUND_MS)) {
                        maxRate = Math.max(maxRate, r);
                    }
                }
                // Whatever a step left queued is scored before anything is counted as lost.
                for (Phase p : stepped) {
                    p.drain(Duration.ofSeconds(120));
                }
                long lost = measured.lost();
                long duplicated = measured.duplicated();
                for (Phase p : stepped) {
                    lost += p.lost();
                    duplicated += p.duplicated();
                }

                ObjectNode json = JSON.createObjectNode();
                json.put("bench", "e2e");
                json.put("rate", rate);
                json.put("achieved_rate", Math.round(measured.achievedRate));
                json.put("duration_s", duration);
                json.put("events", measured.measuredCount());
                json.put("p50_ms", measured.percentile(Stage.E2E, 0.5));
                json.put("p99_ms", measured.percentile(Stage.E2E, 0.99));
                json.put("p999_ms", measured.percentile(Stage.E2E, 0.999));
                json.put("max_ms", measured.percentile(Stage.E2E, 1.0));
                json.put("features_p50_ms", measured.percentile(Stage.FEATURES, 0.5));
                json.put("features_p99_ms", measured.percentile(Stage.FEATURES, 0.99));
                json.put("serving_p50_ms", measured.percentile(Stage.SERVING, 0.5));
                json.put("serving_p99_ms", measured.percentile(Stage.SERVING, 0.99));
                ArrayNode stepsJson = json.putArray("steps");
                for (Phase p : stepped) {
                    ObjectNode s = stepsJson.addObject();
                    s.put("rate", p.rate);
                    s.put("achieved_rate", Math.round(p.achievedRate));
                    s.put("p50_ms", p.percentile(Stage.E2E, 0.5));
                    s.put("p99_ms", p.percentile(Stage.E2E, 0.99));
                    s.put("features_p99_ms", p.percentile(Stage.FEATURES, 0.99));
                    s.put("serving_p99_ms", p.percentile(Stage.SERVING, 0.99));
                }
                json.put("max_rate_under_100ms", maxRate);
                json.put("max_sustained_rate", sustained);
                json.put("lost", lost);
                json.put("duplicated", duplicated);
                json.put("scored_by_fallback", measured.fallbacks());
                json.put("served_version", demo.servedVersion());
                json.put(
                        "commit_interval_ms",
                        Duration.parse(
                                        values.getOrDefault(
                                                FeatureConfig.COMMIT_INTERVAL,
                                                FeatureConfig.DEFINITION
                                                        .defaultValues()
                                                        .get(FeatureConfig.COMMIT_INTERVAL)
                                                        .toString()))
                                .toMillis());
                json.put("cpus", Runtime.getRuntime().availableProcessors());
                return json;
            }
        }
    }

    /** The three intervals measured per payment. */
    enum Stage {
        /** Send → committed prediction. */
        E2E,
        /** Send → committed vector. */
        FEATURES,
        /** Send → the vector on the merchant-routing topic (entity features in), committed. */
        ENTITY_HOP,
        /** That → the committed vector (merchant features in). */
        MERCHANT_HOP,
        /** Committed vector → committed prediction. */
        SERVING
    }

    /** One rate for a while: when each payment was sent, its vector seen and its prediction. */
    static final class Phase {
        final int rate;
        final int warmupCount;
        final AtomicLongArray sent;
        final AtomicLongArray vector;
        final AtomicLongArray routed;
        final AtomicLongArray predicted;
        final AtomicLongArray predictions;
        final AtomicLongArray fallback;
        volatile double achievedRate;

        Phase(int rate, int warmupCount, int n) {
            this.rate = rate;
            this.warmupCount = warmupCount;
            this.sent = new AtomicLongArray(n);
            this.vector = new AtomicLongArray(n);
            this.routed = new AtomicLongArray(n);
            this.predicted = new AtomicLongArray(n);
            this.predictions = new AtomicLongArray(n);
            this.fallback = new AtomicLongArray(n);
        }

        int size() {
            return sent.length();
        }

        long measuredCount() {
            return size() - warmupCount;
        }

        boolean drain(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int i = 0;
            while (i < size()) {
                if (predictions.get(i) > 0) {
                    i++;
                } else if (System.nanoTime() > deadline) {
                    return false;
                } else {
                    TimeUnit.MILLISECONDS.sleep(20); // polling the observer's arrays
                }
            }
            return true;
        }

        long lost() {
            long n = 0;
            for (int i = 0; i < size(); i++) {
                n += predictions.get(i) == 0 ? 1 : 0;
            }
            return n;
        }

        long duplicated() {
            long n = 0;
            for (int i = 0; i < size(); i++) {
                n += Math.max(0, predictions.get(i) - 1);
            }
            return n;
        }

        long fallbacks() {
            long n = 0;
            for (int i = warmupCount; i < size(); i++) {
                n += fallback.get(i);
            }
            return n;
        }

        /** The quantile in milliseconds (one decimal) over the payments after the warm-up. */
        double percentile(Stage stage, double q) {
            long[] values = new long[size() - warmupCount];
            int n = 0;
            for (int i = warmupCount; i < size(); i++) {
                long s = sent.get(i);
                long v = vector.get(i);
                long p = predicted.get(i);
                long m = routed.get(i);
                long d =
                        switch (stage) {
                            case E2E -> p == 0 ? -1 : p - s;
                            case FEATURES -> v == 0 ? -1 : v - s;
                            case ENTITY_HOP -> m == 0 ? -1 : m - s;
                            case MERCHANT_HOP -> m == 0 || v == 0 ? -1 : v - m;
                            case SERVING -> p == 0 || v == 0 ? -1 : p - v;
                        };
                if (d >= 0) {
                    values[n++] = d;
                }
            }
            if (n == 0) {
                return -1;
            }
            Arrays.sort(values, 0, n);
            int at = (int) Math.min(n - 1, Math.ceil(q * n) - 1);
            return Math.round(values[Math.max(0, at)] / 100_000.0) / 10.0;
        }

        /**
         * Sent at the rate asked, every payment had its prediction, and no backlog built up: a
         * queue growing through a step puts its p99 in seconds.
         */
        boolean keptPace() {
            return achievedRate >= 0.95 * rate
                    && lost() == 0
                    && percentile(Stage.E2E, 0.99) <= PACE_MS;
        }

        boolean meets(long boundMs) {
            return keptPace() && percentile(Stage.E2E, 0.99) <= boundMs;
        }

        /**
         * The measured seconds whose payments had the highest p99, by offset from the start of the
         * measurement: whether the tail is spread out or comes in bursts, and how often.
         */
        String slowestSeconds(int n) {
            long start = sent.get(warmupCount);
            Map<Long, List<Long>> bySecond = new java.util.TreeMap<>();
            for (int i = warmupCount; i < size(); i++) {
                long p = predicted.get(i);
                if (p != 0) {
                    bySecond.computeIfAbsent(
                                    (sent.get(i) - start) / 1_000_000_000L, k -> new ArrayList<>())
                            .add(p - sent.get(i));
                }
            }
            List<long[]> seconds = new ArrayList<>();
            bySecond.forEach(
                    (second, latencies) -> {
                        latencies.sort(null);
                        long p99 =
                                latencies.get(
                                        Math.max(0, (int) Math.ceil(0.99 * latencies.size()) - 1));
                        seconds.add(new long[] {second, p99});
                    });
            seconds.sort((a, b) -> Long.compare(b[1], a[1]));
            StringBuilder out = new StringBuilder();
            for (long[] s : seconds.subList(0, Math.min(n, seconds.size()))) {
                out.append(String.format("%ds: p99 %d ms; ", s[0], s[1] / 1_000_000L));
            }
            return out.toString();
        }

        String summary() {
            return String.format(
                    "sent %.0f/s, p50 %.1f ms, p99 %.1f ms (features p50 %.1f p99 %.1f: entity hop"
                            + " p50 %.1f p99 %.1f, merchant hop p50 %.1f p99 %.1f; serving p99"
                            + " %.1f), %d without a prediction",
                    achievedRate,
                    percentile(Stage.E2E, 0.5),
                    percentile(Stage.E2E, 0.99),
                    percentile(Stage.FEATURES, 0.5),
                    percentile(Stage.FEATURES, 0.99),
                    percentile(Stage.ENTITY_HOP, 0.5),
                    percentile(Stage.ENTITY_HOP, 0.99),
                    percentile(Stage.MERCHANT_HOP, 0.5),
                    percentile(Stage.MERCHANT_HOP, 0.99),
                    percentile(Stage.SERVING, 0.99),
                    lost());
        }
    }

    /** Sends payments at a rate, each with its send time. */
    private static final class Pacer {
        private final KafkaProducer<String, Transaction> producer;
        private final TopicCatalog catalog;
        private final List<AccountRow> accounts;
        private final int merchants;
        private final Observer observer;
        private final Random random = new Random(11);

        Pacer(
                KafkaProducer<String, Transaction> producer,
                TopicCatalog catalog,
                List<AccountRow> accounts,
                int merchants,
                Observer observer) {
            this.producer = producer;
            this.catalog = catalog;
            this.accounts = accounts;
            this.merchants = merchants;
            this.observer = observer;
        }

        Phase run(int index, int perSecond, int warmupSeconds, int seconds) {
            int n = perSecond * (warmupSeconds + seconds);
            Phase phase = new Phase(perSecond, perSecond * warmupSeconds, n);
            observer.phases.put(index, phase);
            log.info("{} payments/s for {} s ({} s of warm-up)", perSecond, seconds, warmupSeconds);
            String topic = catalog.transactions().name();
            String prefix = TAG + index + "-";
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long due = start + (long) (i * 1e9 / perSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                AccountRow a = accounts.get(random.nextInt(accounts.size()));
                long now = System.currentTimeMillis();
                Transaction t =
                        Transaction.newBuilder()
                                .setTxnId(prefix + i)
                                .setEntityId(a.accountId())
                                .setMerchantId(String.format("m-%05d", random.nextInt(merchants)))
                                .setAmountMinor(
                                        Math.max(
                                                1, Math.round(Math.exp(8 + random.nextGaussian()))))
                                .setCurrency("EUR")
                                .setCountry(a.homeCountry())
                                .setChannel(Channel.CARD_PRESENT)
                                .setEventTime(Instant.ofEpochMilli(now))
                                .build();
                phase.sent.set(i, System.nanoTime());
                producer.send(new ProducerRecord<>(topic, null, now, a.accountId(), t));
            }
            producer.flush();
            phase.achievedRate = n / ((System.nanoTime() - start) / 1e9);
            return phase;
        }
    }

    /**
     * Two read_committed consumers, one of {@code features.v1} and one of {@code predictions.v1},
     * from their ends when started; each notes the time of the poll that returned a payment's
     * record.
     */
    private static final class Observer implements AutoCloseable {
        final Map<Integer, Phase> phases = new ConcurrentHashMap<>();
        private final List<Thread> threads = new ArrayList<>();
        private final List<KafkaConsumer<String, ?>> consumers = new ArrayList<>();
        private volatile boolean running = true;

        Observer(Map<String, Object> client, TopicCatalog catalog, String routing) {
            Deserializer<FeatureVector> vectors = catalog.features().valueSerde().deserializer();
            if (routing != null) {
                watch(
                        consumer(client, routing, vectors),
                        "routed",
                        (v, now) ->
                                at(v.getTxnId(), s -> s.phase.routed.compareAndSet(s.i, 0, now)));
            }
            watch(
                    consumer(client, catalog.features().name(), vectors),
                    "vectors",
                    (v, now) -> at(v.getTxnId(), s -> s.phase.vector.compareAndSet(s.i, 0, now)));
            watch(
                    consumer(
                            client,
                            catalog.predictions().name(),
                            catalog.predictions().valueSerde().deserializer()),
                    "predictions",
                    (p, now) ->
                            at(
                                    p.getTxnId(),
                                    s -> {
                                        s.phase.predicted.compareAndSet(s.i, 0, now);
                                        s.phase.predictions.incrementAndGet(s.i);
                                        if (p.getFallback()) {
                                            s.phase.fallback.set(s.i, 1);
                                        }
                                    }));
        }

        private <V> void watch(KafkaConsumer<String, V> consumer, String name, Sink<V> sink) {
            consumers.add(consumer);
            threads.add(new Thread(() -> read(consumer, sink), "bench-e2e-" + name));
        }

        /** Runs {@code action} on the payment's slot when the id is one of the benchmark's. */
        private void at(String txnId, java.util.function.Consumer<Slot> action) {
            Slot s = slot(txnId);
            if (s != null) {
                action.accept(s);
            }
        }

        Observer start() {
            threads.forEach(Thread::start);
            return this;
        }

        private record Slot(Phase phase, int i) {}

        private Slot slot(String txnId) {
            if (!txnId.startsWith(TAG)) {
                return null;
            }
            int dash = txnId.indexOf('-', TAG.length());
            Phase phase = phases.get(Integer.parseInt(txnId.substring(TAG.length(), dash)));
            return phase == null
                    ? null
                    : new Slot(phase, Integer.parseInt(txnId, dash + 1, txnId.length(), 10));
        }

        interface Sink<V> {
            void seen(V value, long nanos);
        }

        private <V> void read(KafkaConsumer<String, V> consumer, Sink<V> sink) {
            try {
                while (running) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    long now = System.nanoTime();
                    for (ConsumerRecord<String, V> r : records) {
                        sink.seen(r.value(), now);
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                log.error("The benchmark's reader failed", e);
            }
        }

        private static <V> KafkaConsumer<String, V> consumer(
                Map<String, Object> client, String topic, Deserializer<V> values) {
            Map<String, Object> c = new HashMap<>(client);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            KafkaConsumer<String, V> consumer =
                    new KafkaConsumer<>(c, new StringDeserializer(), values);
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolved now, before any payment is sent
            return consumer;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumers.forEach(KafkaConsumer::wakeup);
            for (Thread t : threads) {
                t.join(10_000);
            }
            consumers.forEach(KafkaConsumer::close);
        }
    }

    /** The feature stage's merchant-routing topic, when its spec has merchant features. */
    private static String routing(Demo demo) {
        if (!demo.features().spec().hasMerchantFeatures()) {
            return null;
        }
        return demo.features().config().getString(FeatureConfig.APPLICATION_ID)
                + "-vectors-by-merchant-repartition";
    }

    private static KafkaProducer<String, Transaction> producer(
            Map<String, Object> client, TopicCatalog catalog) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return new KafkaProducer<>(
                p, new StringSerializer(), catalog.transactions().valueSerde().serializer());
    }
}
