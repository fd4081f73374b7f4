package dev.tideline.cli;

import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.simulator.FraudScenario;
import dev.tideline.simulator.GroundTruth;
import dev.tideline.simulator.Simulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the demo watches, as a downstream {@code read_committed} reader sees it: vectors,
 * predictions (graded against the simulator's ground truth, and timed from the payment's send),
 * labels, model releases and dead letters, with a per-second series of each for the report.
 */
final class DemoMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoMonitor.class);

    /** A prediction as graded: its score, the truth, and the model that made it (-1: fallback). */
    record Graded(
            String txnId, double score, FraudScenario scenario, long modelVersion, boolean live) {
        boolean fraud() {
            return scenario != null;
        }
    }

    /** A release as read from the models topic. */
    record Release(
            long version,
            long createdAt,
            boolean promotable,
            Map<String, Double> metrics,
            long seenAt) {}

    /** One second of the run: counts by stage, cumulative. */
    record Tick(long second, long payments, long vectors, long predictions, long labels) {}

    private final TopicCatalog catalog;
    private final GroundTruth truth;
    private final LongSupplier payments;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final long startedAt = System.currentTimeMillis();
    private volatile boolean closed;
    private volatile RuntimeException failure;

    final AtomicLong vectors = new AtomicLong();
    final AtomicLong labels = new AtomicLong();
    final AtomicLong predictionRecords = new AtomicLong();
    final AtomicLong fallbacks = new AtomicLong();
    private final Map<String, Integer> predictedTimes = new ConcurrentHashMap<>();
    private final List<Graded> graded = new ArrayList<>();
    private final List<Long> latenciesMs = new ArrayList<>();
    private final List<Long> steadyLatenciesMs = new ArrayList<>();
    private volatile long caughtUpAt = Long.MAX_VALUE;
    private final List<Release> releases = new ArrayList<>();
    private final Map<String, Map<String, Long>> deadLetters = new TreeMap<>();
    private final List<Tick> ticks = new ArrayList<>();
    private final Map<String, float[]> vectorValues = new HashMap<>();
    private final Map<String, Boolean> labelled = new HashMap<>();

    DemoMonitor(Map<String, Object> client, TopicCatalog catalog, Simulator simulator) {
        this(client, catalog, simulator.truth(), () -> simulator.counts().payments.get());
    }

    DemoMonitor(
            Map<String, Object> client,
            TopicCatalog catalog,
            GroundTruth truth,
            LongSupplier payments) {
        this.catalog = catalog;
        this.truth = truth;
        this.payments = payments;
        Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        consumer =
                new KafkaConsumer<>(
                        config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (Topic<?, ?> t : watched()) {
            consumer.partitionsFor(t.name())
                    .forEach(p -> partitions.add(new TopicPartition(t.name(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "tideline-demo-monitor");
        thread.setDaemon(true);
    }

    private List<Topic<?, ?>> watched() {
        List<Topic<?, ?>> topics = new ArrayList<>();
        topics.add(catalog.features());
        topics.add(catalog.predictions());
        topics.add(catalog.labels());
        topics.add(catalog.models());
        topics.add(catalog.deadLetter(catalog.transactions()));
        topics.add(catalog.deadLetter(catalog.features()));
        topics.add(catalog.deadLetter(catalog.labels()));
        topics.add(catalog.cdcDeadLetter());
        return topics;
    }

    DemoMonitor start() {
        thread.start();
        return this;
    }

    private void run() {
        long nextTick = startedAt + 1000;
        try {
            while (!closed) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    handle(r);
                }
                long now = System.currentTimeMillis();
                while (now >= nextTick) {
                    synchronized (this) {
                        ticks.add(
                                new Tick(
                                        (nextTick - startedAt) / 1000,
                                        payments.getAsLong(),
                                        vectors.get(),
                                        predictionRecords.get(),
                                        labels.get()));
                    }
                    nextTick += 1000;
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                failure = e;
                log.error("The demo's monitor stopped: {}", e.toString(), e);
            }
        } finally {
            consumer.close();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        String topic = r.topic();
        if (topic.equals(catalog.features().name())) {
            vectors.incrementAndGet();
            FeatureVector v =
                    catalog.features().valueSerde().deserializer().deserialize(topic, r.value());
            if (truth.of(v.getTxnId()) != null) {
                float[] values = new float[v.getValues().size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = v.getValues().get(i);
                }
                synchronized (this) {
                    vectorValues.put(v.getTxnId(), values);
                }
            }
        } else if (topic.equals(catalog.labels().name())) {
            labels.incrementAndGet();
            if (r.value() != null) {
                Label l =
                        catalog.labels().valueSerde().deserializer().deserialize(topic, r.value());
                synchronized (this) {
                    labelled.put(l.getTxnId(), l.getIsFraud());
                }
            }
        } else if (topic.equals(catalog.predictions().name())) {
            prediction(
                    catalog.predictions()
                            .valueSerde()
                            .deserializer()
                            .deserialize(topic, r.value()));
        } else if (topic.equals(catalog.models().name())) {
            if (r.value() != null) {
                ModelRelease m =
                        catalog.models().valueSerde().deserializer().deserialize(topic, r.value());
                synchronized (this) {
                    releases.add(
                            new Release(
                                    m.getVersion(),
                                    m.getCreatedAt().toEpochMilli(),
                                    m.getPromotable(),
                                    Map.copyOf(m.getMetrics()),
                                    System.currentTimeMillis()));
                }
            }
        } else {
            String reason = DeadLetter.header(r.headers(), DeadLetter.REASON);
            synchronized (this) {
                deadLetters
                        .computeIfAbsent(topic, t -> new TreeMap<>())
                        .merge(reason == null ? "unknown" : reason, 1L, Long::sum);
            }
        }
    }

    private void prediction(Prediction p) {
        long now = System.currentTimeMillis();
        predictionRecords.incrementAndGet();
        if (p.getFallback()) {
            fallbacks.incrementAndGet();
        }
        predictedTimes.merge(p.getTxnId(), 1, Integer::sum);
        GroundTruth.Truth t = truth.of(p.getTxnId());
        if (t == null) {
            return; // a payment from another producer: counted, not graded
        }
        synchronized (this) {
            graded.add(
                    new Graded(
                            p.getTxnId(),
                            p.getScore(),
                            t.scenario(),
                            p.getFallback() || p.getModelVersion() == null
                                    ? -1
                                    : p.getModelVersion(),
                            t.live()));
            if (t.live()) {
                latenciesMs.add(now - t.sentAt());
                if (t.sentAt() >= caughtUpAt) {
                    steadyLatenciesMs.add(now - t.sentAt());
                }
            }
        }
    }

    /** Payments predicted at least once. */
    long predicted() {
        return predictedTimes.size();
    }

    /**
     * Where the run stands, for a message when it did not finish: payments sent, vectors,
     * predictions and dead letters seen, and whether this monitor is still reading.
     */
    String progress() {
        RuntimeException f = failure;
        return "payments sent "
                + payments.getAsLong()
                + ", vectors "
                + vectors.get()
                + ", payments predicted "
                + predicted()
                + ", prediction records "
                + predictionRecords.get()
                + ", dead letters "
                + deadLetters()
                + (f == null ? "" : ", the monitor stopped: " + f);
    }

    /** Prediction records beyond the first of their payment. */
    long duplicated() {
        return predictionRecords.get() - predictedTimes.size();
    }

    synchronized List<Graded> graded() {
        return List.copyOf(graded);
    }

    /**
     * The batch reference: a logistic regression fitted to convergence on the served vectors of the
     * simulated history and their labels from {@code cdc.labels}, scoring the given live payments
     * (NaN for one whose vector was not seen).
     */
    synchronized float[] reference(List<Graded> live) {
        List<float[]> rows = new ArrayList<>();
        List<Boolean> fraud = new ArrayList<>();
        vectorValues.forEach(
                (txn, values) -> {
                    GroundTruth.Truth t = truth.of(txn);
                    if (t != null && !t.live()) {
                        rows.add(values);
                        fraud.add(labelled.getOrDefault(txn, false));
                    }
                });
        float[] out = new float[live.size()];
        Arrays.fill(out, Float.NaN);
        if (rows.isEmpty() || !fraud.contains(true)) {
            return out;
        }
        boolean[] y = new boolean[fraud.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = fraud.get(i);
        }
        BatchLogistic lr = BatchLogistic.fit(rows.toArray(new float[0][]), y, QualityBench.RIDGE);
        for (int i = 0; i < out.length; i++) {
            float[] v = vectorValues.get(live.get(i).txnId());
            if (v != null) {
                out[i] = lr.score(v);
            }
        }
        return out;
    }

    synchronized List<Release> releases() {
        return List.copyOf(releases);
    }

    synchronized List<Tick> ticks() {
        return List.copyOf(ticks);
    }

    synchronized Map<String, Map<String, Long>> deadLetters() {
        Map<String, Map<String, Long>> copy = new TreeMap<>();
        deadLetters.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
        return copy;
    }

    long deadLetterCount() {
        return deadLetters().values().stream()
                .flatMap(m -> m.values().stream())
                .mapToLong(Long::longValue)
                .sum();
    }

    /**
     * Marks the moment the pipeline has scored the whole history: live payments sent from then on
     * no longer queue behind it.
     */
    void caughtUp(long at) {
        if (caughtUpAt == Long.MAX_VALUE) {
            caughtUpAt = at;
        }
    }

    boolean isCaughtUp() {
        return caughtUpAt != Long.MAX_VALUE;
    }

    /** Live latencies, send to read_committed prediction, sorted (ms). */
    synchronized long[] latencies() {
        return sorted(latenciesMs);
    }

    /** Latencies of live payments sent once the history had been scored, sorted (ms). */
    synchronized long[] steadyLatencies() {
        return sorted(steadyLatenciesMs);
    }

    private static long[] sorted(List<Long> values) {
        long[] l = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(l);
        return l;
    }

    /** The p-th quantile of sorted values, or -1 when there are none. */
    static double quantile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    /** The latest {@code window} seconds' rates of each stage, per second. */
    synchronized double[] rates(int window) {
        if (ticks.size() < 2) {
            return new double[4];
        }
        Tick last = ticks.get(ticks.size() - 1);
        Tick first = ticks.get(Math.max(0, ticks.size() - 1 - window));
        double s = Math.max(1, last.second() - first.second());
        return new double[] {
            (last.payments() - first.payments()) / s,
            (last.vectors() - first.vectors()) / s,
            (last.predictions() - first.predictions()) / s,
            (last.labels() - first.labels()) / s
        };
    }

    long startedAt() {
        return startedAt;
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
