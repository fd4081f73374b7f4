package dev.tideline.bench.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.ParentWatch;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.testkit.PlantedFraud;
import dev.tideline.training.TrainingConfig;
import dev.tideline.training.TrainingJob;
import dev.tideline.training.io.Contracts;
import dev.tideline.training.io.ServedVector;
import dev.tideline.training.io.VectorDeserializer;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tideline bench training}: on the embedded stack, the training job (P learners, RocksDB
 * state as deployed, then heap state) against a Flink pass-through job with the same source,
 * checkpointing and exactly-once sink, on the same vectors: an untimed warm-up run of each, then
 * rounds of the three timed side by side, reporting the medians and each round's ratios; then the
 * learner's update path against a plain SGD loop under JMH. Prints one JSON line last.
 */
@Command(
        name = "tideline bench training",
        mixinStandardHelpOptions = true,
        description = "Benchmark the training job; prints one JSON line last.")
public final class TrainingBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(TrainingBench.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Option(names = "--examples", description = "Labelled vectors (default: ${DEFAULT-VALUE}).")
    int examples = 300_000;

    @Option(names = "--parallelism", description = "Learners (default: ${DEFAULT-VALUE}).")
    int parallelism = 2;

    @Option(names = "--width", description = "Features per vector (default: ${DEFAULT-VALUE}).")
    int width = 24;

    @Option(
            names = "--rounds",
            description =
                    "Rounds of the three jobs side by side; medians are reported (default:"
                            + " ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(
            names = "--checkpoint-interval-ms",
            description = "Checkpoint interval of both jobs (default: ${DEFAULT-VALUE}).")
    long checkpointMs = 1_000;

    private MiniCluster cluster;

    /** The vectors the learners train on: those the job does not hold out for its gate. */
    private long trainable;

    public static void main(String[] args) {
        ParentWatch.start();
        System.exit(new CommandLine(new TrainingBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || examples < 1) {
            System.err.println("--rounds and --examples must be at least 1");
            return 2;
        }
        Path work = Files.createTempDirectory("tideline-bench-training");
        try (LocalStack stack =
                LocalStack.builder().withoutPostgres().workDir(work.resolve("stack")).start()) {
            String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Map<String, String> values = settings(stack, prefix);
            TopicCatalog catalog = new Contracts(values).catalog();
            String warmupTopic = prefix + "bench.warmup";
            List<NewTopic> outputs = new ArrayList<>();
            outputs.add(new NewTopic(warmupTopic, 4, (short) 1));
            for (int r = 1; r <= rounds; r++) {
                outputs.add(new NewTopic(prefix + "bench.passthrough." + r, 4, (short) 1));
            }
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                TopicBootstrap.ensure(
                        admin,
                        catalog,
                        Optional.of(ClientSettings.registry(stack.registryUrl(), values)),
                        Duration.ofSeconds(60));
                admin.createTopics(outputs).all().get();
            }
            // One MiniCluster for every run, as a Flink cluster serves job after job: a cluster per
            // run would load Flink's RPC system (Pekko, Scala) in a class loader of its own each
            // time, and the JIT compilers would compile all of it again during the timed runs.
            TrainingConfig base = config(values, prefix, "cluster", "rocksdb");
            cluster =
                    new MiniCluster(
                            new MiniClusterConfiguration.Builder()
                                    .setConfiguration(TrainingJob.flinkConfiguration(base))
                                    .setNumTaskManagers(1)
                                    .setNumSlotsPerTaskManager(parallelism)
                                    .build());
            cluster.start();
            log.info("Producing {} labelled vectors of {} values", examples, width);
            PlantedFraud data = new PlantedFraud(examples, 7, width);
            data.produce(stack.bootstrapServers(), catalog);
            int every = base.getInt(TrainingConfig.HOLDOUT_EVERY);
            trainable =
                    data.vectors.stream()
                            .filter(v -> !TrainingJob.heldOut(v.getTxnId(), every))
                            .count();
            data.advanceClocks(stack.bootstrapServers(), catalog);

            // Each job once, untimed: on 2 cores the JIT compilers otherwise take about a third
            // of the CPU during a job's first seconds, and the timed runs would measure them.
            log.info("Warming up: each job once over the same vectors, untimed");
            passthrough(stack, config(values, prefix, "warmup", "rocksdb"), catalog, warmupTopic);
            training(
                    stack,
                    config(values, prefix, "warmup", "rocksdb"),
                    catalog,
                    new ModelRelease[1]);
            training(
                    stack,
                    config(values, prefix, "warmup-heap", "hashmap"),
                    catalog,
                    new ModelRelease[1]);

            // The three jobs side by side, round after round: on a shared machine a job's rate
            // moves between runs, so each round's ratios compare jobs run moments apart, and the
            // medians are reported.
            double[] passthrough = new double[rounds];
            double[] training = new double[rounds];
            double[] onHeap = new double[rounds];
            // JIT compilation while each job runs (start-up included): on 2 cores it competes
            // with the jobs.
            long[][] jitMs = new long[3][rounds];
            ModelRelease[] last = new ModelRelease[1];
            for (int r = 0; r < rounds; r++) {
                String round = "r" + (r + 1);
                String topic = prefix + "bench.passthrough." + (r + 1);
                passthrough[r] =
                        compiling(
                                jitMs[0],
                                r,
                                () ->
                                        passthrough(
                                                stack,
                                                config(values, prefix, round, "rocksdb"),
                                                catalog,
                                                topic));
                training[r] =
                        compiling(
                                jitMs[1],
                                r,
                                () ->
                                        training(
                                                stack,
                                                config(values, prefix, round, "rocksdb"),
                                                catalog,
                                                last));
                onHeap[r] =
                        compiling(
                                jitMs[2],
                                r,
                                () ->
                                        training(
                                                stack,
                                                config(values, prefix, round + "-heap", "hashmap"),
                                                catalog,
                                                new ModelRelease[1]));
                log.info(
                        "Round {}: pass-through {} vectors/s, training on RocksDB {} and on the"
                                + " heap {} examples/s; JIT compilation {}, {} and {} ms",
                        r + 1,
                        Math.round(passthrough[r]),
                        Math.round(training[r]),
                        Math.round(onHeap[r]),
                        jitMs[0][r],
                        jitMs[1][r],
                        jitMs[2][r]);
            }
            double[] ratio = new double[rounds];
            double[] ratioHeap = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = training[r] / passthrough[r];
                ratioHeap[r] = onHeap[r] / passthrough[r];
            }
            double auc = last[0].getMetrics().get("auc_total");
            double holdout = new PlantedFraud(20_000, 99, width).auc(last[0]);
            double[] learner = learnerVersusPlain();

            ObjectNode json = new ObjectMapper().createObjectNode();
            json.put("bench", "training");
            json.put("examples", examples);
            json.put("parallelism", parallelism);
            json.put("width", width);
            json.put("checkpoint_interval_ms", checkpointMs);
            json.put("rounds", rounds);
            json.put("examples_per_s", Math.round(median(training)));
            json.put("passthrough_per_s", Math.round(median(passthrough)));
            json.put("ratio", round(median(ratio)));
            json.put("state_backend", "rocksdb");
            json.put("examples_per_s_hashmap", Math.round(median(onHeap)));
            json.put("ratio_hashmap", round(median(ratioHeap)));
            ArrayNode ratios = json.putArray("ratios");
            ArrayNode ratiosHeap = json.putArray("ratios_hashmap");
            for (int r = 0; r < rounds; r++) {
                ratios.add(round(ratio[r]));
                ratiosHeap.add(round(ratioHeap[r]));
            }
            ObjectNode compilation = json.putObject("jit_ms");
            String[] jobs = {"passthrough", "rocksdb", "hashmap"};
            for (int j = 0; j < jobs.length; j++) {
                ArrayNode perRound = compilation.putArray(jobs[j]);
                for (long ms : jitMs[j]) {
                    perRound.add(ms);
                }
            }
            json.put("learner_examples_per_s", Math.round(learner[0]));
            json.put("plain_examples_per_s", Math.round(learner[1]));
            json.put("learner_vs_plain", round(learner[0] / learner[1]));
            json.put("learner_scalar_examples_per_s", Math.round(learner[2]));
            json.put("learner_scalar_vs_plain", round(learner[2] / learner[1]));
            json.put("auc", round(auc));
            json.put("holdout_auc", round(holdout));
            json.put("releases", last[0].getVersion());
            json.put("cpus", Runtime.getRuntime().availableProcessors());
            System.out.println(json);
            return 0;
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    private Map<String, String> settings(LocalStack stack, String prefix) {
        Map<String, String> v = new HashMap<>();
        v.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        v.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        v.put("tideline.topics.prefix", prefix);
        v.put("tideline.topics.partitions", "4");
        v.put(TrainingConfig.PARALLELISM, String.valueOf(parallelism));
        v.put(TrainingConfig.SPEC_FINGERPRINT, PlantedFraud.FINGERPRINT);
        v.put(TrainingConfig.INPUT_WIDTH, String.valueOf(width));
        v.put(TrainingConfig.MATURITY_MS, String.valueOf(PlantedFraud.MATURITY_MS));
        v.put(TrainingConfig.OUT_OF_ORDERNESS_MS, "1000");
        v.put(TrainingConfig.CHECKPOINT_INTERVAL_MS, String.valueOf(checkpointMs));
        // On disk, as deployed: the JobManager's memory refuses checkpoints over 5 MB.
        v.put(
                TrainingConfig.CHECKPOINT_DIR,
                stack.workDir().resolve("checkpoints").toUri().toString());
        v.put(TrainingConfig.RESUME_FROM, "none");
        v.put(TrainingConfig.RESTART_ATTEMPTS, "0");
        v.put(TrainingConfig.RELEASE_EVERY_MS, "1000");
        // Frequent releases: the benchmark reads the examples trained from them.
        v.put(TrainingConfig.RELEASE_EVERY_ROUNDS, "5");
        v.put(TrainingConfig.TRANSACTION_TIMEOUT_MS, "60000");
        return v;
    }

    /** The settings of one run: its own consumer groups and model name, and a state backend. */
    private static TrainingConfig config(
            Map<String, String> values, String prefix, String run, String stateBackend) {
        Map<String, String> v = new HashMap<>(values);
        v.put(TrainingConfig.GROUP_ID, prefix + run);
        v.put(TrainingConfig.MODEL, "fraud-" + run);
        v.put(TrainingConfig.STATE_BACKEND, stateBackend);
        return new TrainingConfig(v);
    }

    /** Runs {@code job}, and puts the JIT compilers' time meanwhile in {@code jitMs[round]}. */
    private static double compiling(long[] jitMs, int round, Callable<Double> job)
            throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long before = jit.getTotalCompilationTime();
        double rate = job.call();
        jitMs[round] = jit.getTotalCompilationTime() - before;
        return rate;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Vectors per second through decode → exactly-once sink, the training job's input path. */
    private double passthrough(
            LocalStack stack, TrainingConfig config, TopicCatalog catalog, String topic)
            throws Exception {
        Contracts contracts = new Contracts(config.values());
        StreamExecutionEnvironment env = environment();
        TrainingJob.configure(env, config);
        env.fromSource(
                        TrainingJob.source(
                                contracts,
                                catalog.features().name(),
                                config.getString(TrainingConfig.GROUP_ID) + "-passthrough",
                                new VectorDeserializer(
                                        contracts, config.spec().fingerprint(), width),
                                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST),
                                "read_committed"),
                        TrainingJob.eventTime(config),
                        "features.v1")
                .process(new TrainingJob.VectorsOnly())
                .sinkTo(
                        TrainingJob.sink(
                                config,
                                contracts,
                                config.getString(TrainingConfig.GROUP_ID) + "-passthrough",
                                new VectorWriter(topic),
                                DeliveryGuarantee.EXACTLY_ONCE));
        JobID job = submit(env, "bench pass-through");
        // Read uncommitted: records show as the job writes them, not a checkpoint later.
        try (KafkaConsumer<byte[], byte[]> consumer = reader(stack, topic, "read_uncommitted")) {
            return rate(
                    () -> {
                        consumer.poll(Duration.ofMillis(100));
                        return consumer.assignment().stream().mapToLong(consumer::position).sum();
                    },
                    examples);
        } finally {
            stop(job);
        }
    }

    /**
     * Examples per second trained, from the releases: the examples each counts and when the
     * aggregator made it (so commit visibility, a checkpoint later, does not blur the rate).
     */
    private double training(
            LocalStack stack, TrainingConfig config, TopicCatalog catalog, ModelRelease[] last)
            throws Exception {
        StreamExecutionEnvironment env = environment();
        TrainingJob.build(env, config);
        JobID job = submit(env, "bench training");
        String model = config.getString(TrainingConfig.MODEL);
        long target = (long) Math.ceil(0.98 * trainable);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        ModelRelease first = null;
        try (KafkaConsumer<byte[], byte[]> consumer =
                reader(stack, catalog.models().name(), "read_committed")) {
            while (true) {
                for (var r : consumer.poll(Duration.ofMillis(100))) {
                    ModelRelease m =
                            catalog.models()
                                    .valueSerde()
                                    .deserializer()
                                    .deserialize(r.topic(), r.value());
                    if (!model.equals(m.getModelName())) {
                        continue;
                    }
                    if (first == null && trained(m) > 0) {
                        first = m;
                    }
                    last[0] = m;
                    if (trained(m) >= target && m != first) {
                        double seconds =
                                (m.getCreatedAt().toEpochMilli()
                                                - first.getCreatedAt().toEpochMilli())
                                        / 1e3;
                        return (trained(m) - trained(first)) / seconds;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the training job did not train "
                                    + target
                                    + " examples within "
                                    + TIMEOUT);
                }
            }
        } finally {
            stop(job);
        }
    }

    private static long trained(ModelRelease m) {
        return Math.round(m.getMetrics().get("examples_trained"));
    }

    /** An environment to build a job in; the jobs configure checkpointing from the settings. */
    private StreamExecutionEnvironment environment() {
        return StreamExecutionEnvironment.createLocalEnvironment(parallelism);
    }

    /** Runs the job built in {@code env} on the benchmark's cluster. */
    private JobID submit(StreamExecutionEnvironment env, String name) throws Exception {
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(name);
        return cluster.submitJob(graph).get().getJobID();
    }

    /** Cancels a job and waits until it has ended, its slots free for the next. */
    private void stop(JobID job) throws Exception {
        cluster.cancelJob(job).get();
        cluster.requestJobResult(job).get();
    }

    /**
     * Watches a count until it reaches 98% of {@code total}: the rate between the first progress
     * seen and then, so neither the job's start-up nor its last few records count.
     */
    private static double rate(LongSupplier count, long total) {
        long target = (long) Math.ceil(0.98 * total);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long firstAt = -1;
        long firstCount = 0;
        while (true) {
            long c = count.getAsLong();
            long now = System.nanoTime();
            if (c > 0 && firstAt < 0) {
                firstAt = now;
                firstCount = c;
            }
            if (c >= target) {
                return (c - firstCount) / ((now - firstAt) / 1e9);
            }
            if (now > deadline) {
                throw new IllegalStateException(
                        "benchmark job reached " + c + " of " + target + " within " + TIMEOUT);
            }
        }
    }

    private static KafkaConsumer<byte[], byte[]> reader(
            LocalStack stack, String topic, String isolation) {
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                "bootstrap.servers",
                                stack.bootstrapServers(),
                                "isolation.level",
                                isolation,
                                "max.poll.records",
                                "5000"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        List<TopicPartition> parts =
                consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        return consumer;
    }

    /**
     * Examples per second under JMH of the learner's update path, of the plain loop, and of the
     * learner with its kernel in scalar loops. Each runs in a JVM with the Vector API module, as
     * the job's TaskManagers do; the scalar run turns the kernel's lanes off.
     */
    private static double[] learnerVersusPlain() throws Exception {
        return new double[] {
            jmh("learner", true), jmh("plain", true), jmh("learner", false),
        };
    }

    private static double jmh(String method, boolean vectorLanes) throws Exception {
        return new Runner(
                        new OptionsBuilder()
                                .include(LearnerBenchmark.class.getName() + "." + method + "$")
                                .forks(1)
                                .jvmArgsAppend(
                                        "--add-modules",
                                        "jdk.incubator.vector",
                                        "-Dtideline.training.vector=" + vectorLanes)
                                .warmupIterations(3)
                                .warmupTime(TimeValue.seconds(1))
                                .measurementIterations(5)
                                .measurementTime(TimeValue.seconds(1))
                                .shouldFailOnError(true)
                                .verbosity(VerboseMode.SILENT)
                                .build(),
                        // What the forks print (the JVM's incubator-module warning) goes to
                        // stderr with the logs: stdout carries the JSON line alone.
                        OutputFormatFactory.createFormatInstance(System.err, VerboseMode.SILENT))
                .runSingle()
                .getPrimaryResult()
                .getScore();
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    /** Writes a vector's id and values, as a pass-through job would forward it. */
    static final class VectorWriter implements KafkaRecordSerializationSchema<ServedVector> {
        private final String topic;

        VectorWriter(String topic) {
            this.topic = topic;
        }

        @Override
        public void open(
                SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {}

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                ServedVector v, KafkaSinkContext context, Long timestamp) {
            ByteBuffer values = ByteBuffer.allocate(4 * v.values.length);
            for (float x : v.values) {
                values.putFloat(x);
            }
            return new ProducerRecord<>(
                    topic, v.txnId.getBytes(StandardCharsets.UTF_8), values.array());
        }
    }
}
