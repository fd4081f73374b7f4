package dev.tideline.serving;

import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.serde.SerdeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scoring replica: consumes feature vectors in a consumer group, scores each poll batch as one
 * tensor, and writes the predictions and the consumed offsets in one Kafka transaction, so every
 * vector gets exactly one committed prediction across crashes and rebalances.
 */
public final class ScoringLoop implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ScoringLoop.class);
    static final String STAGE = "serving-consumer";

    /**
     * How long a batch waits for the fetch that tops it up (see {@link #nextBatch}). Under load the
     * broker answers at once and the wait ends then (2 to 3 ms on 2 busy cores); it runs out only
     * when nothing new has arrived.
     */
    static final Duration TOP_UP = Duration.ofMillis(5);

    /** A poll that returns within this found its records already fetched (see nextBatch). */
    static final long AT_ONCE_NANOS = 2_000_000L;

    /** What the loop needs beyond the Kafka clients. */
    public record Settings(
            String groupId,
            String transactionalId,
            String specFingerprint,
            int width,
            double fallbackScore,
            int maxBatch) {}

    private final Settings settings;
    private final Topic<String, FeatureVector> features;
    private final Topic<String, Prediction> predictions;
    private final Topic<byte[], byte[]> deadLetters;
    private final ModelSwitch models;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final VectorBatch batch;
    private final VectorDecoder decoder;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final MeterRegistry registry;
    private final Counter scored;
    private final Counter fallbacks;
    private final Map<String, Counter> deadLetterCounts = new HashMap<>();
    private final Timer scoring;
    private final DistributionSummary batchSizes;
    private final Timer endToEnd;
    private volatile boolean running = true;
    private volatile int assigned;
    private int rebalances;
    private volatile Throwable failure;

    public ScoringLoop(
            Map<String, Object> client,
            TopicCatalog catalog,
            ModelSwitch models,
            Settings settings,
            MeterRegistry registry) {
        this.settings = settings;
        this.features = catalog.features();
        this.predictions = catalog.predictions();
        this.deadLetters = catalog.deadLetter(catalog.features());
        this.models = models;
        this.registry = registry;
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        // A static member: a replica restarted after a crash takes its partitions back as the
        // member it was, without a rebalance of the group. With dynamic membership its return
        // started a rebalance that waited out the dead member's session, and no prediction of
        // the group was committed meanwhile (ChaosIT measured 36 s).
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, settings.transactionalId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxBatch());
        c.put(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName());
        this.consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer =
                new KafkaProducer<>(
                        producerSettings(client, settings.transactionalId()),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        this.batch = new VectorBatch(settings.maxBatch(), settings.width());
        this.decoder = new VectorDecoder(features, catalog.registry());
        this.fallbacks =
                Counter.builder("tideline.serving.fallbacks")
                        .description("Vectors scored with the fallback score")
                        .register(registry);
        this.scored =
                Counter.builder("tideline.serving.predictions")
                        .description("Predictions committed")
                        .register(registry);
        this.scoring =
                Timer.builder("tideline.serving.scoring.latency")
                        .description("ONNX Runtime time per batch")
                        .publishPercentiles(0.5, 0.99)
                        .register(registry);
        this.batchSizes =
                DistributionSummary.builder("tideline.serving.batch.size")
                        .description("Vectors per scored batch")
                        .register(registry);
        this.endToEnd =
                Timer.builder("tideline.serving.feature.to.prediction")
                        .description("From the vector's computation to its prediction being sent")
                        .publishPercentiles(0.5, 0.99)
                        .register(registry);
    }

    /**
     * The transactional producer's settings over the client's. One transaction per poll batch means
     * transactions back to back under load; the broker answers a batch that reaches a partition
     * before the last transaction's markers are written with CONCURRENT_TRANSACTIONS, and the
     * client retries after {@code retry.backoff.ms}. Kafka's default (100 ms, growing to a second)
     * put 100 ms on every such batch; 5 ms growing to 20 keeps a retry within a marker write. A
     * value the client settings give wins.
     */
    static Map<String, Object> producerSettings(
            Map<String, Object> client, String transactionalId) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 20);
        return p;
    }

    @Override
    public void run() {
        try {
            producer.initTransactions();
            consumer.subscribe(
                    List.of(features.name()),
                    new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                            assigned = consumer.assignment().size() - partitions.size();
                            rebalances++;
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                            assigned = consumer.assignment().size();
                            rebalances++;
                            log.info(
                                    "Scoring replica {} holds {} partitions",
                                    settings.transactionalId(),
                                    assigned);
                        }
                    });
            while (running) {
                List<ConsumerRecords<byte[], byte[]>> polled =
                        nextBatch(
                                consumer,
                                Duration.ofMillis(100),
                                settings.maxBatch(),
                                () -> rebalances);
                if (polled == null) {
                    // The group moved partitions during the top-up: score none of what was read,
                    // start again from what is committed.
                    rewind();
                } else if (!polled.isEmpty()) {
                    processInTransaction(polled);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failure = e;
            }
        } catch (ProducerFencedException
                | OutOfOrderSequenceException
                | AuthorizationException
                | UnsupportedVersionException e) {
            // Another replica took this transactional id, or the cluster refuses us: stop, clearly.
            failure = e;
            log.error("Scoring replica {} stops: {}", settings.transactionalId(), e.toString());
        } catch (RuntimeException e) {
            failure = e;
            log.error("Scoring replica {} failed", settings.transactionalId(), e);
        } finally {
            closeClients(Duration.ofSeconds(5));
            stopped.countDown();
        }
    }

    /**
     * The records of the next transaction: what one poll returns, then, when that poll returned at
     * once without filling a batch, what a second poll returns within {@link #TOP_UP}. The consumer
     * fetches the next records as a poll returns, and the broker answers that fetch as soon as the
     * first vector arrives, so the records a poll finds already fetched are those that came at the
     * start of the last transaction. The vectors that came during the rest of it are fetched only
     * by the next poll: without the second poll they waited one more transaction. A poll that had
     * to wait got what the broker had when it answered, as do the vectors of a feature-stage
     * commit, which become readable together: no second poll then. Empty when nothing came within
     * {@code timeout}; null when the group rebalanced during the second poll (partitions read in
     * the first may have moved to another replica, which scores them from the committed offsets).
     */
    static <K, V> List<ConsumerRecords<K, V>> nextBatch(
            Consumer<K, V> consumer, Duration timeout, int maxBatch, IntSupplier rebalances) {
        long start = System.nanoTime();
        ConsumerRecords<K, V> first = consumer.poll(timeout);
        if (first.isEmpty()) {
            return List.of();
        }
        if (first.count() >= maxBatch || System.nanoTime() - start > AT_ONCE_NANOS) {
            return List.of(first);
        }
        int before = rebalances.getAsInt();
        ConsumerRecords<K, V> more = consumer.poll(TOP_UP);
        if (rebalances.getAsInt() != before) {
            return null;
        }
        return more.isEmpty() ? List.of(first) : List.of(first, more);
    }

    private void processInTransaction(List<ConsumerRecords<byte[], byte[]>> polled) {
        producer.beginTransaction();
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            int count = 0;
            // In poll order: a partition's offset is the one after its last record read.
            for (ConsumerRecords<byte[], byte[]> records : polled) {
                process(records);
                count += records.count();
                for (TopicPartition tp : records.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
                    offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
                }
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
            scored.increment(count);
        } catch (ProducerFencedException
                | OutOfOrderSequenceException
                | AuthorizationException
                | UnsupportedVersionException e) {
            throw e;
        } catch (KafkaException e) {
            // Abortable (for example the group rebalanced under us): nothing of this batch is
            // visible; rewind to the committed offsets and score it again.
            log.warn("Aborting a scoring transaction and rewinding: {}", e.toString());
            producer.abortTransaction();
            rewind();
        }
    }

    private void rewind() {
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata o = committed.get(tp);
            if (o == null) {
                consumer.seekToBeginning(List.of(tp));
            } else {
                consumer.seek(tp, o.offset());
            }
        }
    }

    private void process(ConsumerRecords<byte[], byte[]> records) {
        List<VectorDecoder.Header> vectors = new ArrayList<>(records.count());
        float[] rows = batch.staging();
        int w = settings.width();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            VectorDecoder.Header v = new VectorDecoder.Header();
            try {
                // Values go straight into the next free row of the tensor.
                if (!decoder.decode(r.topic(), r.value(), v, rows, vectors.size() * w, w)) {
                    deadLetter(r, "missing-value", null);
                    continue;
                }
            } catch (SerdeException e) {
                deadLetter(r, "undecodable", e);
                continue;
            }
            if (!settings.specFingerprint().equals(v.specFingerprint)) {
                deadLetter(
                        r,
                        "unknown-spec",
                        new IllegalArgumentException(
                                "vector of spec "
                                        + v.specId
                                        + " v"
                                        + v.specVersion
                                        + " ("
                                        + v.specFingerprint
                                        + "); serving scores "
                                        + settings.specFingerprint()));
            } else if (v.width != w) {
                deadLetter(
                        r,
                        "wrong-width",
                        new IllegalArgumentException(
                                v.width + " values, the spec has " + settings.width()));
            } else {
                int at = firstNonFinite(rows, vectors.size() * w, w);
                if (at >= 0) {
                    // A model would score it NaN, and the batch, and the model, would take the
                    // blame.
                    deadLetter(
                            r,
                            "non-finite-value",
                            new IllegalArgumentException(
                                    "value " + at + " is " + rows[vectors.size() * w + at]));
                } else {
                    vectors.add(v);
                }
            }
        }
        if (vectors.isEmpty()) {
            return;
        }
        float[] scores = null;
        String fallbackReason = null;
        ModelSwitch.Live live = models.acquire();
        if (live == null) {
            fallbackReason = "no model in service";
        } else {
            try {
                long t0 = System.nanoTime();
                scores = batch.copyIn(vectors.size()).score(live.scorer());
                scoring.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                fallbackReason =
                        "model "
                                + live.name()
                                + " v"
                                + live.version()
                                + " failed: "
                                + e.getMessage();
                log.warn("Scoring with the fallback: {}", fallbackReason);
                scores = null;
                models.reportFailure(live, System.currentTimeMillis());
            } finally {
                live.scorer().release();
            }
        }
        if (scores != null) {
            int bad = VectorBatch.firstInvalid(scores);
            if (bad >= 0) {
                fallbackReason =
                        "model " + live.name() + " v" + live.version() + " scored " + scores[bad];
                scores = null;
                models.reportFailure(live, System.currentTimeMillis());
            }
        }
        if (scores != null) {
            shadow(scores, vectors.size());
        }
        if (fallbackReason != null) {
            fallbacks.increment(vectors.size());
        }
        batchSizes.record(vectors.size());
        Instant now = Instant.now();
        for (int i = 0; i < vectors.size(); i++) {
            VectorDecoder.Header v = vectors.get(i);
            boolean fallback = scores == null;
            Prediction p =
                    Prediction.newBuilder()
                            .setTxnId(v.txnId)
                            .setEntityId(v.entityId)
                            .setScore(fallback ? settings.fallbackScore() : scores[i])
                            .setModelName(fallback ? null : live.name())
                            .setModelVersion(fallback ? null : live.version())
                            .setSpecFingerprint(v.specFingerprint)
                            .setFallback(fallback)
                            .setFallbackReason(fallbackReason)
                            .setEventTime(Instant.ofEpochMilli(v.eventTimeMs))
                            .setScoredAt(now)
                            .build();
            producer.send(
                    new ProducerRecord<>(
                            predictions.name(),
                            v.entityId.getBytes(StandardCharsets.UTF_8),
                            predictions
                                    .valueSerde()
                                    .serializer()
                                    .serialize(predictions.name(), p)));
            endToEnd.record(
                    Math.max(0, now.toEpochMilli() - v.computedAtMs), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Scores the batch (still in the tensor buffer) with the release in the shadow, if any, and
     * reports how often it disagrees with the scores served. Its scores are never written.
     */
    private void shadow(float[] served, int rows) {
        ModelSwitch.Live shadow = models.acquireShadow();
        if (shadow == null) {
            return;
        }
        long disagreed = 0;
        boolean failed = false;
        try {
            float[] scores = batch.score(shadow.scorer());
            double threshold = models.shadowThreshold();
            failed = VectorBatch.firstInvalid(scores) >= 0;
            for (int i = 0; i < rows && !failed; i++) {
                if ((scores[i] >= threshold) != (served[i] >= threshold)) {
                    disagreed++;
                }
            }
            if (!failed) {
                models.recordShadowScores(served, scores, rows);
            }
        } catch (Exception e) {
            log.warn("Shadow {} v{} failed: {}", shadow.name(), shadow.version(), e.toString());
            failed = true;
        } finally {
            shadow.scorer().release();
        }
        models.reportShadow(shadow, rows, disagreed, failed);
    }

    /** The index within the row of its first NaN or infinite value; -1 when all are finite. */
    static int firstNonFinite(float[] rows, int from, int width) {
        for (int i = 0; i < width; i++) {
            if (!Float.isFinite(rows[from + i])) {
                return i;
            }
        }
        return -1;
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason, Exception e) {
        deadLetterCounts
                .computeIfAbsent(
                        reason,
                        k ->
                                Counter.builder("tideline.serving.dead.letters")
                                        .description(
                                                "Vectors sent to the dead-letter topic, by reason")
                                        .tag("reason", k)
                                        .register(registry))
                .increment();
        producer.send(
                DeadLetter.record(
                        deadLetters.name(),
                        r.key(),
                        r.value(),
                        r.headers(),
                        STAGE,
                        reason,
                        e,
                        new DeadLetter.Source(r.topic(), r.partition(), r.offset())));
    }

    /** Partitions this replica scores now. */
    public int assignedPartitions() {
        return assigned;
    }

    /** Whether the loop is still consuming. */
    public boolean running() {
        return stopped.getCount() > 0;
    }

    /** Why the loop stopped, when it failed. */
    public Throwable failure() {
        return failure;
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops after the current batch. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            stopped.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeClients(Duration timeout) {
        try {
            // A replica that stops on purpose leaves the group, so that its partitions move at
            // once (a static member would otherwise hold them for a session timeout).
            consumer.close(
                    CloseOptions.timeout(timeout)
                            .withGroupMembershipOperation(
                                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        } catch (RuntimeException e) {
            log.debug("Closing the consumer: {}", e.toString());
        }
        producer.close(timeout);
    }
}
