package dev.tideline.cli;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.simulator.FraudScenario;
import dev.tideline.simulator.GroundTruth;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the pipeline served, read back as a downstream {@code read_committed} reader sees it: each
 * payment's vector from {@code features.v1}, its prediction from {@code predictions.v1}, and its
 * label from {@code cdc.labels} (the last one wins; a payment without one is not fraud). {@code
 * bench quality} fits its references on these and judges them beside the served scores.
 */
final class ServedExamples {

    private static final Logger log = LoggerFactory.getLogger(ServedExamples.class);

    /** One payment as served: its vector, its score and the model that gave it (0: fallback). */
    record Served(String txnId, long eventTime, float[] values, float score, long modelVersion) {}

    private final Map<String, Served> byTxn;
    private final Map<String, Boolean> labels;

    private ServedExamples(Map<String, Served> byTxn, Map<String, Boolean> labels) {
        this.byTxn = byTxn;
        this.labels = labels;
    }

    /**
     * Reads the three topics from their beginning until every payment has its vector and its
     * prediction and every chargeback its label, or the timeout passes.
     */
    static ServedExamples read(
            Map<String, Object> client,
            TopicCatalog catalog,
            long payments,
            long chargebacks,
            Duration timeout) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        Topic<String, FeatureVector> features = catalog.features();
        Topic<String, Prediction> predictions = catalog.predictions();
        Topic<String, Label> labelTopic = catalog.labels();
        Map<String, FeatureVector> vectors = new HashMap<>();
        Map<String, Prediction> scored = new HashMap<>();
        Map<String, Boolean> labels = new HashMap<>();
        long labelRecords = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (Topic<?, ?> t : List.of(features, predictions, labelTopic)) {
                consumer.partitionsFor(t.name())
                        .forEach(p -> partitions.add(new TopicPartition(t.name(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (vectors.size() < payments
                    || scored.size() < payments
                    || labelRecords < chargebacks) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            String.format(
                                    "after %s, %d of %d payments have a vector, %d a prediction,"
                                            + " and %d of %d chargebacks a label",
                                    timeout,
                                    vectors.size(),
                                    payments,
                                    scored.size(),
                                    labelRecords,
                                    chargebacks));
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(features.name())) {
                        FeatureVector v =
                                features.valueSerde()
                                        .deserializer()
                                        .deserialize(r.topic(), r.value());
                        vectors.put(v.getTxnId(), v);
                    } else if (r.topic().equals(predictions.name())) {
                        Prediction p =
                                predictions
                                        .valueSerde()
                                        .deserializer()
                                        .deserialize(r.topic(), r.value());
                        scored.put(p.getTxnId(), p);
                    } else if (r.value() != null) {
                        Label l =
                                labelTopic
                                        .valueSerde()
                                        .deserializer()
                                        .deserialize(r.topic(), r.value());
                        labels.put(l.getTxnId(), l.getIsFraud());
                        labelRecords++;
                    }
                }
            }
        }
        Map<String, Served> byTxn = new HashMap<>();
        for (FeatureVector v : vectors.values()) {
            Prediction p = scored.get(v.getTxnId());
            if (p == null) {
                continue;
            }
            float[] values = new float[v.getValues().size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = v.getValues().get(i);
            }
            long version = p.getFallback() || p.getModelVersion() == null ? 0 : p.getModelVersion();
            byTxn.put(
                    v.getTxnId(),
                    new Served(
                            v.getTxnId(),
                            v.getEventTime().toEpochMilli(),
                            values,
                            (float) p.getScore(),
                            version));
        }
        log.info(
                "Read {} vectors, {} predictions and {} labels ({} records)",
                vectors.size(),
                scored.size(),
                labels.size(),
                labelRecords);
        return new ServedExamples(byTxn, labels);
    }

    boolean fraud(String txnId) {
        return labels.getOrDefault(txnId, false);
    }

    /** A set of examples, in event-time order. */
    final class Set {
        private final List<Served> examples;

        private final boolean[] fraud;

        Set(List<Served> examples) {
            this.examples = examples;
            this.fraud = new boolean[examples.size()];
            for (int i = 0; i < fraud.length; i++) {
                fraud[i] = ServedExamples.this.fraud(examples.get(i).txnId());
            }
        }

        int size() {
            return examples.size();
        }

        float[][] rows() {
            float[][] rows = new float[examples.size()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = examples.get(i).values();
            }
            return rows;
        }

        boolean[] fraud() {
            return fraud.clone();
        }

        long positives() {
            return positives(null);
        }

        /** Positives among the examples {@code keep} marks (all, when null). */
        long positives(boolean[] keep) {
            boolean[] f = fraud;
            long n = 0;
            for (int i = 0; i < f.length; i++) {
                n += f[i] && (keep == null || keep[i]) ? 1 : 0;
            }
            return n;
        }

        float[] onlineScores() {
            float[] out = new float[examples.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = examples.get(i).score();
            }
            return out;
        }

        /** The simulator's truth of each example: planted fraud, whether reported yet or not. */
        boolean[] planted(GroundTruth truth) {
            boolean[] out = new boolean[examples.size()];
            for (int i = 0; i < out.length; i++) {
                GroundTruth.Truth t = truth.of(examples.get(i).txnId());
                out[i] = t != null && t.fraud();
            }
            return out;
        }

        /** Whether the simulator planted each example as a fraud of {@code scenario}. */
        boolean[] plantedAs(GroundTruth truth, FraudScenario scenario) {
            boolean[] out = new boolean[examples.size()];
            for (int i = 0; i < out.length; i++) {
                GroundTruth.Truth t = truth.of(examples.get(i).txnId());
                out[i] = t != null && t.fraud() && t.scenario() == scenario;
            }
            return out;
        }

        /** Every negative, and the positives the simulator planted as {@code scenario}. */
        boolean[] keep(GroundTruth truth, FraudScenario scenario) {
            boolean[] keep = plantedAs(truth, scenario);
            for (int i = 0; i < keep.length; i++) {
                keep[i] |= !fraud[i];
            }
            return keep;
        }

        /** The model versions that scored these examples. */
        String versions() {
            TreeSet<Long> v = new TreeSet<>();
            examples.forEach(e -> v.add(e.modelVersion()));
            return v.isEmpty() ? "" : v.first() + "–" + v.last();
        }
    }

    /** The history to train on, and the holdout to judge on. */
    record Split(Set train, Set holdout, long fallbackExcluded) {}

    /**
     * Training examples: those before {@code liveStart}. Holdout: those from {@code liveStart} to
     * {@code matured} (the last event time whose chargebacks have all come) scored by a trained
     * model; the ones the fallback scored are counted and left out.
     */
    Split split(long liveStart, long matured) {
        return split(liveStart, matured, 1);
    }

    /** As {@link #split(long, long)}, the holdout's payments scored by {@code fromVersion} on. */
    Split split(long liveStart, long matured, long fromVersion) {
        List<Served> train = new ArrayList<>();
        List<Served> holdout = new ArrayList<>();
        long fallback = 0;
        for (Served s : byTxn.values()) {
            if (s.eventTime() < liveStart) {
                train.add(s);
            } else if (s.eventTime() <= matured) {
                if (s.modelVersion() >= Math.max(1, fromVersion)) {
                    holdout.add(s);
                } else {
                    fallback++;
                }
            }
        }
        Comparator<Served> order =
                Comparator.comparingLong(Served::eventTime).thenComparing(Served::txnId);
        train.sort(order);
        holdout.sort(order);
        return new Split(new Set(train), new Set(holdout), fallback);
    }

    /** Writes every example as CSV, marking the holdout's. */
    void dump(Path file, long liveStart, long matured, GroundTruth truth) throws IOException {
        List<Served> all = new ArrayList<>(byTxn.values());
        all.sort(Comparator.comparingLong(Served::eventTime).thenComparing(Served::txnId));
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write(
                    "txn_id,event_time,fraud,holdout,online_score,model_version,scenario,values...");
            w.newLine();
            for (Served s : all) {
                boolean holdout =
                        s.eventTime() >= liveStart
                                && s.eventTime() <= matured
                                && s.modelVersion() > 0;
                GroundTruth.Truth t = truth.of(s.txnId());
                StringBuilder line =
                        new StringBuilder()
                                .append(s.txnId())
                                .append(',')
                                .append(s.eventTime())
                                .append(',')
                                .append(fraud(s.txnId()) ? 1 : 0)
                                .append(',')
                                .append(holdout ? 1 : 0)
                                .append(',')
                                .append(s.score())
                                .append(',')
                                .append(s.modelVersion())
                                .append(',')
                                .append(t != null && t.fraud() ? t.scenario().tag() : "");
                for (float v : s.values()) {
                    line.append(',').append(v);
                }
                w.write(line.toString());
                w.newLine();
            }
        }
    }
}
