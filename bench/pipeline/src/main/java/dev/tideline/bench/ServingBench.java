package dev.tideline.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.features.FeatureSpec;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.ModelReleaseKey;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.model.Digests;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ModelGates;
import dev.tideline.serving.ModelSwitch;
import dev.tideline.serving.ModelWatcher;
import dev.tideline.serving.OnnxScorer;
import dev.tideline.serving.ScoringDevice;
import dev.tideline.serving.ScoringLoop;
import dev.tideline.serving.ScoringOptions;
import dev.tideline.serving.VectorBatch;
import dev.tideline.testkit.TestModels;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench serving}: a scoring replica against a pass-through consume → transactional
 * produce loop with the same batch sizes, scoring against bare ONNX Runtime, latency at a fixed
 * rate, and latency during a burst of model swaps. Prints one JSON line last.
 */
@Command(
        name = "serving",
        mixinStandardHelpOptions = true,
        description = "Benchmark the scoring replicas; prints one JSON line last.")
final class ServingBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServingBench.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @Option(
            names = "--events",
            description = "Vectors for the throughput runs (default: ${DEFAULT-VALUE}).")
    int events = 200_000;

    @Option(
            names = "--batch",
            description = "Vectors per poll and per tensor (default: ${DEFAULT-VALUE}).")
    int batch = 1024;

    @Option(names = "--partitions", description = "Partitions (default: ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(
            names = "--rate",
            description = "Vectors per second in the latency phases (default: ${DEFAULT-VALUE}).")
    int rate = 2_000;

    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Spec CommandSpec spec;

    private final FeatureSpec featureSpec = FeatureSpec.builtin(FeatureSpec.DEFAULT);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("tideline-bench-serving");
        try (LocalStack stack =
                LocalStack.builder().withoutPostgres().workDir(work.resolve("stack")).start()) {
            String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Map<String, String> values =
                    Map.of(
                            ClientSettings.BOOTSTRAP,
                            stack.bootstrapServers(),
                            ClientSettings.REGISTRY_URL,
                            stack.registryUrl(),
                            TopicCatalogConfig.PREFIX,
                            prefix,
                            TopicCatalogConfig.PARTITIONS,
                            String.valueOf(partitions));
            SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), values);
            TopicCatalog catalog = ClientSettings.catalog(values, registry);
            String passthroughTopic = prefix + "bench.passthrough";
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                TopicBootstrap.ensure(
                        admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
                admin.createTopics(List.of(new NewTopic(passthroughTopic, partitions, (short) 1)))
                        .all()
                        .get();
            }
            Map<String, Object> client = new HashMap<>();
            client.put("bootstrap.servers", stack.bootstrapServers());
            int width = featureSpec.size();
            byte[] model = TestModels.mlp(width, 64, 1);
            log.info("Producing {} vectors of {} values", events, width);
            produceVectors(client, catalog, "load-", events, 0);

            // A first pass warms the JIT for consuming and transactional producing; the measured
            // pass-through runs after the scoring run, as warm as it.
            passthrough(client, catalog, passthroughTopic);

            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            ScoringOptions options = new ScoringOptions(ScoringDevice.parse(device), 0, false);
            ModelSwitch models =
                    new ModelSwitch(
                            new ModelGates(featureSpec.fingerprint(), width, options), meters);
            publish(client, catalog, release(1, model, width));
            ObjectNode json = new ObjectMapper().createObjectNode();
            try (ModelWatcher watcher =
                    new ModelWatcher(
                                    client,
                                    catalog.models(),
                                    catalog.revocations(),
                                    "fraud",
                                    "bench",
                                    models)
                            .start()) {
                ScoringLoop loop =
                        new ScoringLoop(
                                client,
                                catalog,
                                models,
                                new ScoringLoop.Settings(
                                        prefix + "scoring",
                                        prefix + "scoring-0",
                                        featureSpec.fingerprint(),
                                        width,
                                        0.0,
                                        batch),
                                meters);
                Thread thread = new Thread(loop, "bench-scoring");
                thread.start();
                Counter predictions = null;
                long start = System.nanoTime();
                while (predictions == null || predictions.count() == 0) {
                    checkDeadline(start);
                    pause(5);
                    predictions = meters.find("tideline.serving.predictions").counter();
                }
                // Timed from the first commit on, like the pass-through: group joins excluded.
                long t0 = System.nanoTime();
                double c0 = predictions.count();
                Timer onnx = meters.find("tideline.serving.scoring.latency").timer();
                double onnx0 = onnx.totalTime(TimeUnit.SECONDS);
                Counter scored = predictions;
                waitFor(() -> scored.count() >= events);
                double scoring = (scored.count() - c0) / ((System.nanoTime() - t0) / 1e9);
                double scoringRowsPerS =
                        (scored.count() - c0) / (onnx.totalTime(TimeUnit.SECONDS) - onnx0);
                int meanBatch =
                        (int)
                                Math.max(
                                        1,
                                        Math.round(
                                                meters.find("tideline.serving.batch.size")
                                                        .summary()
                                                        .mean()));
                double[] scoringOnly =
                        scoringVsBare(model, width, meanBatch, options, catalog.features());
                double passthrough = passthrough(client, catalog, passthroughTopic);
                log.info(
                        "Scoring: {} events/s; ONNX Runtime inside the loop {} rows/s; scoring"
                                + " alone {} rows/s, bare ONNX Runtime {} rows/s",
                        Math.round(scoring),
                        Math.round(scoringRowsPerS),
                        Math.round(scoringOnly[0]),
                        Math.round(scoringOnly[1]));

                LatencyProbe steady = latency(client, catalog, "steady-", null, models, width);
                LatencyProbe swaps = latency(client, catalog, "swap-", model, models, width);
                log.info(
                        "Steady phase by half second (p50/p99 ms/vectors):{}",
                        steady.byHalfSecond());
                log.info("Swap phase by half second (p50/p99 ms/vectors):{}", swaps.byHalfSecond());
                loop.close();

                json.put("bench", "serving");
                json.put("events", events);
                json.put("batch", batch);
                json.put("mean_batch", meanBatch);
                json.put("partitions", partitions);
                json.put("events_per_s", Math.round(scoring));
                json.put("passthrough_events_per_s", Math.round(passthrough));
                json.put("ratio", Math.round(1000 * scoring / passthrough) / 1000.0);
                json.put("in_loop_ort_rows_per_s", Math.round(scoringRowsPerS));
                json.put("scoring_rows_per_s", Math.round(scoringOnly[0]));
                json.put("bare_ort_rows_per_s", Math.round(scoringOnly[1]));
                json.put(
                        "scoring_vs_bare_ort",
                        Math.round(1000 * scoringOnly[0] / scoringOnly[1]) / 1000.0);
                json.put("rate_per_s", rate);
                json.put("p50_ms", steady.percentile(0.5));
                json.put("p99_ms", steady.percentile(0.99));
                json.put("swap_p99_ms", swaps.percentile(0.99));
                json.put(
                        "swap_p99_ratio",
                        Math.round(
                                        100.0
                                                * swaps.percentile(0.99)
                                                / Math.max(1, steady.percentile(0.99)))
                                / 100.0);
                json.put("swaps", 10);
                json.put("failed_during_swaps", swaps.fallbacks);
                json.put("device", models.deviceLabel());
                if (ScoringDevice.parse(device) == ScoringDevice.CUDA) {
                    gpuVersusCpu(json, model, width);
                }
                json.put("cpus", Runtime.getRuntime().availableProcessors());
            } finally {
                models.close();
            }
            out.println(json);
            out.flush();
            return 0;
        }
    }

    /** Consume → transactional produce with the scoring loop's batch size and client settings. */
    private double passthrough(Map<String, Object> client, TopicCatalog catalog, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-pt-" + UUID.randomUUID());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batch);
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-pt-" + UUID.randomUUID());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        long seen = 0;
        long firstCommit = -1;
        long firstCount = 0;
        long start = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(catalog.features().name()));
            while (seen < events) {
                checkDeadline(start);
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
                    offsets.put(
                            new TopicPartition(r.topic(), r.partition()),
                            new OffsetAndMetadata(r.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                seen += records.count();
                if (firstCommit < 0) {
                    // Timed from the first commit on, like the scoring run: group joins excluded.
                    firstCommit = System.nanoTime();
                    firstCount = seen;
                }
            }
        }
        return (seen - firstCount) / ((System.nanoTime() - firstCommit) / 1e9);
    }

    /**
     * Scoring alone (what the replica does once a batch is decoded, its values already in rows: the
     * bulk copy into the tensor, {@link OnnxScorer#score} and the score checks) against bare {@code
     * OrtSession.run} on the same batches with the same session settings: medians of three
     * alternating rounds after a warm-up, rows per second.
     */
    private double[] scoringVsBare(
            byte[] model,
            int width,
            int rows,
            ScoringOptions options,
            Topic<String, FeatureVector> features)
            throws Exception {
        List<FeatureVector> vectors = decoded(randomVectors(rows, width), features);
        VectorBatch batch = new VectorBatch(rows, width).fill(vectors);
        FloatBuffer bare =
                ByteBuffer.allocateDirect(4 * rows * width)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < width; j++) {
                bare.put(i * width + j, vectors.get(i).getValues().get(j));
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double[] scored = new double[4];
        double[] raw = new double[4];
        try (OnnxScorer scorer = OnnxScorer.load("bench", model, width, options);
                OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (scorer.device() == ScoringDevice.CUDA) {
                so.addCUDA(0);
            }
            try (OrtSession session = env.createSession(model, so)) {
                // Rounds of a few hundred milliseconds at least, whatever --events is.
                long total = Math.max(events, 3_000_000L);
                for (int round = 0; round < 4; round++) {
                    long done = 0;
                    long start = System.nanoTime();
                    while (done < total) {
                        float[] scores = batch.copyIn(rows).score(scorer);
                        if (VectorBatch.firstInvalid(scores) >= 0) {
                            throw new IllegalStateException("the benchmark model scored badly");
                        }
                        done += rows;
                    }
                    scored[round] = done / ((System.nanoTime() - start) / 1e9);
                    done = 0;
                    start = System.nanoTime();
                    while (done < total) {
                        try (OnnxTensor t =
                                        OnnxTensor.createTensor(
                                                env, bare, new long[] {rows, width});
                                OrtSession.Result r = session.run(Map.of("features", t))) {
                            ((OnnxTensor) r.get(0)).getFloatBuffer().get(new float[rows]);
                            done += rows;
                        }
                    }
                    raw[round] = done / ((System.nanoTime() - start) / 1e9);
                }
            }
        }
        // The first round warms both paths up and is not counted; medians of the other three.
        double[] s = Arrays.copyOfRange(scored, 1, 4);
        double[] r = Arrays.copyOfRange(raw, 1, 4);
        Arrays.sort(s);
        Arrays.sort(r);
        return new double[] {s[1], r[1]};
    }

    /**
     * Scoring alone on CUDA and on the CPU, a 64-unit MLP at batches of 4096; where CUDA cannot be
     * had, the CPU figure and the reason.
     */
    private void gpuVersusCpu(ObjectNode json, byte[] model, int width) throws Exception {
        int rows = 4096;
        List<FeatureVector> vectors = randomVectors(rows, width);
        VectorBatch batch = new VectorBatch(rows, width).fill(vectors);
        json.put("device_batch", rows);
        for (ScoringDevice d : List.of(ScoringDevice.CUDA, ScoringDevice.CPU)) {
            try (OnnxScorer scorer =
                    OnnxScorer.load(
                            "bench-" + d.label(), model, width, new ScoringOptions(d, 0, false))) {
                if (scorer.device() != d) {
                    json.put(
                            "gpu_skipped",
                            ScoringDevice.cudaUnavailable()
                                    .orElse("the CUDA provider did not load (see the log)"));
                    continue;
                }
                for (int warm = 0; warm < 20; warm++) {
                    batch.score(scorer);
                }
                long done = 0;
                long start = System.nanoTime();
                while (done < Math.max(events, 20L * rows)) {
                    batch.score(scorer);
                    done += rows;
                }
                json.put(
                        d == ScoringDevice.CUDA ? "gpu_rows_per_s" : "cpu_rows_per_s",
                        Math.round(done / ((System.nanoTime() - start) / 1e9)));
            }
        }
    }

    /** The vectors as a replica has them: encoded to the wire format and decoded again. */
    private static List<FeatureVector> decoded(
            List<FeatureVector> vectors, Topic<String, FeatureVector> features) {
        List<FeatureVector> out = new ArrayList<>(vectors.size());
        for (FeatureVector v : vectors) {
            byte[] wire = features.valueSerde().serializer().serialize(features.name(), v);
            out.add(features.valueSerde().deserializer().deserialize(features.name(), wire));
        }
        return out;
    }

    private static List<FeatureVector> randomVectors(int rows, int width) {
        Random random = new Random(3);
        List<FeatureVector> vectors = new ArrayList<>(rows);
        Instant now = Instant.now();
        for (int i = 0; i < rows; i++) {
            List<Float> values = new ArrayList<>(width);
            for (int j = 0; j < width; j++) {
                values.add((float) random.nextGaussian());
            }
            vectors.add(
                    FeatureVector.newBuilder()
                            .setTxnId("bench-" + i)
                            .setEntityId("e" + i)
                            .setEventTime(now)
                            .setSpecId("payments")
                            .setSpecVersion(1)
                            .setSpecFingerprint("bench")
                            .setValues(values)
                            .setMerchantId("m")
                            .setAmountMinor(100)
                            .setCurrency("EUR")
                            .setComputedAt(now)
                            .build());
        }
        return vectors;
    }

    /** Latencies from a vector's send to its committed prediction, for one phase. */
    private static final class LatencyProbe {
        /** Send time (epoch ms) and latency (ms) of each prediction. */
        final List<long[]> timed = Collections.synchronizedList(new ArrayList<>());

        long fallbacks;

        void add(long sentAt, long latency) {
            timed.add(new long[] {sentAt, latency});
        }

        /** p50, p99 and count of the vectors sent in each half second of the phase, in order. */
        String byHalfSecond() {
            List<long[]> all = new ArrayList<>(timed);
            long first = all.stream().mapToLong(t -> t[0]).min().orElse(0);
            Map<Long, List<Long>> slots = new TreeMap<>();
            for (long[] t : all) {
                slots.computeIfAbsent((t[0] - first) / 500, k -> new ArrayList<>()).add(t[1]);
            }
            StringBuilder b = new StringBuilder();
            slots.forEach(
                    (slot, l) ->
                            b.append(
                                    String.format(
                                            " %.1fs:%.0f/%.0f/%d",
                                            slot / 2.0, nth(l, 0.5), nth(l, 0.99), l.size())));
            return b.toString();
        }

        double percentile(double p) {
            return nth(new ArrayList<>(timed).stream().map(t -> t[1]).toList(), p);
        }

        private static double nth(List<Long> values, double p) {
            List<Long> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return sorted.isEmpty()
                    ? -1
                    : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
        }
    }

    /** Five seconds at the fixed rate; with a model, ten releases are published meanwhile. */
    private LatencyProbe latency(
            Map<String, Object> client,
            TopicCatalog catalog,
            String tag,
            byte[] model,
            ModelSwitch models,
            int width)
            throws Exception {
        int n = rate * 5;
        LatencyProbe probe = new LatencyProbe();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong seen = new AtomicLong();
        KafkaConsumer<String, Prediction> consumer = predictionReader(client, catalog);
        Thread reader =
                new Thread(
                        () -> readPredictions(consumer, tag, probe, seen, done), "bench-latency");
        reader.start();
        Thread swapper = null;
        if (model != null) {
            long base = models.version();
            swapper =
                    new Thread(
                            () -> {
                                for (int i = 1; i <= 10; i++) {
                                    pause(400);
                                    publish(client, catalog, release(base + i, model, width));
                                }
                            },
                            "bench-swaps");
            swapper.start();
        }
        produceVectors(client, catalog, tag, n, rate);
        if (swapper != null) {
            swapper.join();
        }
        long start = System.nanoTime();
        while (seen.get() < n) {
            checkDeadline(start);
            pause(20);
        }
        done.set(true);
        reader.join();
        return probe;
    }

    /**
     * A read_committed consumer positioned at the end of the prediction topic, before the phase
     * starts.
     */
    private static KafkaConsumer<String, Prediction> predictionReader(
            Map<String, Object> client, TopicCatalog catalog) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, Prediction> consumer =
                new KafkaConsumer<>(
                        c,
                        new StringDeserializer(),
                        catalog.predictions().valueSerde().deserializer());
        String topic = catalog.predictions().name();
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve now, not after the phase has begun
        return consumer;
    }

    private static void readPredictions(
            KafkaConsumer<String, Prediction> consumer,
            String tag,
            LatencyProbe probe,
            AtomicLong seen,
            AtomicBoolean done) {
        try (consumer) {
            while (!done.get()) {
                for (ConsumerRecord<String, Prediction> r : consumer.poll(Duration.ofMillis(50))) {
                    Prediction p = r.value();
                    if (p.getTxnId().startsWith(tag)) {
                        long sentAt = p.getEventTime().toEpochMilli();
                        probe.add(sentAt, System.currentTimeMillis() - sentAt);
                        if (p.getFallback()) {
                            probe.fallbacks++;
                        }
                        seen.incrementAndGet();
                    }
                }
            }
        }
    }

    /** Sends vectors; with {@code perSecond} > 0 paced at that rate, event time = send time. */
    private void produceVectors(
            Map<String, Object> client, TopicCatalog catalog, String tag, int n, int perSecond) {
        Random random = new Random(tag.hashCode());
        int width = featureSpec.size();
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.LINGER_MS_CONFIG, perSecond > 0 ? 0 : 20);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        long start = System.nanoTime();
        try (KafkaProducer<String, FeatureVector> producer =
                new KafkaProducer<>(
                        p, new StringSerializer(), catalog.features().valueSerde().serializer())) {
            for (int i = 0; i < n; i++) {
                if (perSecond > 0) {
                    long due = start + (long) (i * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                List<Float> values = new ArrayList<>(width);
                for (int j = 0; j < width; j++) {
                    values.add((float) random.nextGaussian());
                }
                Instant now = Instant.now();
                FeatureVector v =
                        FeatureVector.newBuilder()
                                .setTxnId(tag + i)
                                .setEntityId("e" + random.nextInt(10_000))
                                .setEventTime(now)
                                .setSpecId(featureSpec.id())
                                .setSpecVersion(featureSpec.version())
                                .setSpecFingerprint(featureSpec.fingerprint())
                                .setValues(values)
                                .setMerchantId("m")
                                .setAmountMinor(100)
                                .setCurrency("EUR")
                                .setComputedAt(now)
                                .build();
                producer.send(new ProducerRecord<>(catalog.features().name(), v.getEntityId(), v));
            }
            producer.flush();
        }
    }

    private ModelRelease release(long version, byte[] model, int width) {
        return ModelRelease.newBuilder()
                .setModelName("fraud")
                .setVersion(version)
                .setCreatedAt(Instant.now())
                .setSpecId(featureSpec.id())
                .setSpecVersion(featureSpec.version())
                .setSpecFingerprint(featureSpec.fingerprint())
                .setInputWidth(width)
                .setOnnx(ByteBuffer.wrap(model))
                .setArtifactUri(null)
                .setSha256(Digests.sha256(model))
                .setMetrics(Map.of())
                .setParentVersion(null)
                .setTrainingWatermark(Instant.now())
                .setPromotable(true)
                .build();
    }

    private static void publish(
            Map<String, Object> client, TopicCatalog catalog, ModelRelease release) {
        try (KafkaProducer<String, ModelRelease> p =
                new KafkaProducer<>(
                        client,
                        new StringSerializer(),
                        catalog.models().valueSerde().serializer())) {
            p.send(
                    new ProducerRecord<>(
                            catalog.models().name(), ModelReleaseKey.of(release), release));
            p.flush();
        }
    }

    private static void waitFor(BooleanSupplier condition) {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            checkDeadline(start);
            pause(10);
        }
    }

    private static void checkDeadline(long start) {
        if (System.nanoTime() - start > TIMEOUT.toNanos()) {
            throw new IllegalStateException("benchmark phase did not finish within " + TIMEOUT);
        }
    }

    private static void pause(long ms) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }
}
