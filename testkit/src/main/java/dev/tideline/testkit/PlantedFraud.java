package dev.tideline.testkit;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.Evaluation;
import dev.tideline.schemas.model.ModelGraph;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Labelled synthetic payments (for the training tests and {@code bench training}) with planted
 * fraud patterns: eight features on different scales (an amount, velocity counts, ratios), fraud
 * drawn from a logistic function of three of them, a fraud label for each fraudulent transaction
 * reported within the maturity period, clean confirmations for some others, and no label for the
 * rest.
 */
public final class PlantedFraud {

    public static final int WIDTH = 8;
    public static final String FINGERPRINT = "e".repeat(64);
    public static final long MATURITY_MS = 20_000;

    public final int count;
    public final int width;
    public final long t0;
    public final List<FeatureVector> vectors = new ArrayList<>();
    public final List<Label> labels = new ArrayList<>();
    public final boolean[] fraud;

    /** The transaction whose label is reported after its maturity, which the join refuses. */
    private final String lateLabelTxn;

    private final Set<Integer> labelled = new HashSet<>();
    public int frauds;

    public PlantedFraud(int count, long seed) {
        this(count, seed, WIDTH);
    }

    /**
     * @param width values per vector: the eight planted features, then noise up to this width (at
     *     least eight)
     */
    public PlantedFraud(int count, long seed, int width) {
        this(count, seed, width, "txn-");
    }

    /**
     * @param idPrefix what transaction ids start with ({@code txn-} by default), so that two sets
     *     written to the same topics do not share ids
     */
    public PlantedFraud(int count, long seed, int width, String idPrefix) {
        if (width < WIDTH) {
            throw new IllegalArgumentException("at least " + WIDTH + " features, not " + width);
        }
        this.count = count;
        this.width = width;
        this.t0 = Instant.now().minusSeconds(3_600).toEpochMilli();
        Random random = new Random(seed);
        this.fraud = new boolean[count];
        for (int i = 0; i < count; i++) {
            float amount = (float) Math.exp(3 + random.nextGaussian());
            float velocity = (float) Math.max(0, 3 + 2 * random.nextGaussian());
            float ratio = (float) random.nextGaussian();
            float newDevice = random.nextDouble() < 0.1 ? 1 : 0;
            float age = (float) (400 + 200 * random.nextGaussian());
            float noise1 = (float) random.nextGaussian();
            float noise2 = (float) (10 * random.nextGaussian());
            float hour = random.nextInt(24);
            double logit =
                    -9.5
                            + 0.03 * amount
                            + 0.9 * velocity
                            + 3.0 * newDevice
                            - 0.008 * (age - 400)
                            + 2.0 * ratio;
            boolean fraud = random.nextDouble() < 1 / (1 + Math.exp(-logit));
            this.fraud[i] = fraud;
            long at = t0 + i * 50L;
            String txn = idPrefix + i;
            float[] values = new float[width];
            float[] planted = {amount, velocity, ratio, newDevice, age, noise1, noise2, hour};
            System.arraycopy(planted, 0, values, 0, WIDTH);
            for (int j = WIDTH; j < width; j++) {
                values[j] = (float) random.nextGaussian();
            }
            vectors.add(vector(txn, at, values));
            if (fraud || random.nextDouble() < 0.05) {
                labelled.add(i);
            }
            if (fraud) {
                frauds++;
                labels.add(label(txn, true, at + 1_000 + random.nextInt((int) MATURITY_MS / 2)));
            } else if (labelled.contains(i)) {
                labels.add(label(txn, false, at + 500 + random.nextInt((int) MATURITY_MS / 2)));
            }
        }
        // Two labels the join must refuse: one for a transaction never served, one reported after
        // an unlabelled transaction's maturity.
        labels.add(label("ghost", true, t0 + 5_000));
        int unlabelled = 0;
        while (labelled.contains(unlabelled)) {
            unlabelled++;
        }
        this.lateLabelTxn = idPrefix + unlabelled;
        labels.add(label(lateLabelTxn, true, t0 + unlabelled * 50L + MATURITY_MS + 5_000));
        labels.sort((a, b) -> a.getReportedAt().compareTo(b.getReportedAt()));
    }

    public String lateLabelTxn() {
        return lateLabelTxn;
    }

    public static FeatureVector vector(String txn, long at, float... values) {
        List<Float> v = new ArrayList<>();
        for (float x : values) {
            v.add(x);
        }
        return FeatureVector.newBuilder()
                .setTxnId(txn)
                .setEntityId("acct-" + Math.abs(txn.hashCode() % 97))
                .setEventTime(Instant.ofEpochMilli(at))
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint(FINGERPRINT)
                .setValues(v)
                .setMerchantId("m")
                .setAmountMinor(100)
                .setCurrency("EUR")
                .setComputedAt(Instant.ofEpochMilli(at))
                .build();
    }

    public static Label label(String txn, boolean fraud, long at) {
        return Label.newBuilder()
                .setTxnId(txn)
                .setAccountId("acct")
                .setIsFraud(fraud)
                .setReportedAt(Instant.ofEpochMilli(at))
                .build();
    }

    /** Writes the vectors and labels as fast as the broker takes them. */
    public void produce(String bootstrap, TopicCatalog catalog) {
        produce(bootstrap, catalog, 0);
    }

    /**
     * Writes the vectors and labels merged in event-time order, paced at {@code perSecond} records
     * (0: unpaced), as a live payment stream and its chargebacks would arrive.
     */
    public void produce(String bootstrap, TopicCatalog catalog, int perSecond) {
        produce(bootstrap, catalog, perSecond, count, new CountDownLatch(0));
    }

    /**
     * As {@link #produce(String, TopicCatalog, int)}, but once {@code holdAt} vectors are written
     * it waits for {@code resume} before writing the rest: the stream is then certain to be
     * unfinished at whatever the caller does before it opens {@code resume}.
     */
    public void produce(
            String bootstrap,
            TopicCatalog catalog,
            int perSecond,
            int holdAt,
            CountDownLatch resume) {
        String features = catalog.features().name();
        String labelTopic = catalog.labels().name();
        long start = System.nanoTime();
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            int l = 0;
            for (int i = 0; i < vectors.size(); i++) {
                FeatureVector v = vectors.get(i);
                if (i == holdAt) {
                    p.flush();
                    awaitUninterruptibly(resume);
                }
                while (l < labels.size()
                        && labels.get(l).getReportedAt().isBefore(v.getEventTime())) {
                    Label label = labels.get(l++);
                    send(
                            p,
                            labelTopic,
                            label.getTxnId(),
                            catalog.labels()
                                    .valueSerde()
                                    .serializer()
                                    .serialize(labelTopic, label));
                    sent++;
                }
                send(
                        p,
                        features,
                        v.getEntityId(),
                        catalog.features().valueSerde().serializer().serialize(features, v));
                sent++;
                if (perSecond > 0) {
                    long due = start + sent * 1_000_000_000L / perSecond;
                    long ahead = due - System.nanoTime();
                    if (ahead > 0) {
                        LockSupport.parkNanos(ahead); // pacing
                    }
                }
            }
            for (; l < labels.size(); l++) {
                Label label = labels.get(l);
                send(
                        p,
                        labelTopic,
                        label.getTxnId(),
                        catalog.labels().valueSerde().serializer().serialize(labelTopic, label));
            }
            p.flush();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the stream was held", e);
        }
    }

    /**
     * One vector and one label far ahead in event time on every partition, so every partition's
     * watermark passes the maturity of all the data; these never mature themselves.
     */
    public void advanceClocks(String bootstrap, TopicCatalog catalog) {
        long future = t0 + count * 50L + 10 * MATURITY_MS;
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            for (int part = 0; part < catalog.features().partitions(); part++) {
                FeatureVector v = vector("clock-" + part, future, new float[width]);
                p.send(
                        new ProducerRecord<>(
                                catalog.features().name(),
                                part,
                                key("clock"),
                                catalog.features()
                                        .valueSerde()
                                        .serializer()
                                        .serialize(catalog.features().name(), v)));
            }
            for (int part = 0; part < catalog.labels().partitions(); part++) {
                Label l = label("clock-label-" + part, false, future);
                p.send(
                        new ProducerRecord<>(
                                catalog.labels().name(),
                                part,
                                key("clock"),
                                catalog.labels()
                                        .valueSerde()
                                        .serializer()
                                        .serialize(catalog.labels().name(), l)));
            }
            p.flush();
        }
    }

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap, "linger.ms", 5),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, byte[] value) {
        p.send(new ProducerRecord<>(topic, key(key), value));
    }

    public static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** AUC of a released model on these vectors and their true classes, scored by ONNX Runtime. */
    public double auc(ModelRelease release) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] onnx = new byte[release.getOnnx().remaining()];
        release.getOnnx().duplicate().get(onnx);
        float[] batch = new float[count * width];
        for (int i = 0; i < count; i++) {
            List<Float> v = vectors.get(i).getValues();
            for (int j = 0; j < width; j++) {
                batch[i * width + j] = v.get(j);
            }
        }
        float[] scores = new float[count];
        try (OrtSession session = env.createSession(onnx);
                OnnxTensor tensor =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(batch), new long[] {count, width});
                OrtSession.Result result = session.run(Map.of(ModelGraph.INPUT, tensor))) {
            ((OnnxTensor) result.get(0)).getFloatBuffer().get(scores);
        }
        return Evaluation.auc(scores, fraud);
    }
}
