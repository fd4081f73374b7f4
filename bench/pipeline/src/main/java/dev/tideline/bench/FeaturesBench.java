package dev.tideline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureMetrics;
import dev.tideline.features.FeatureSpec;
import dev.tideline.features.StateLayout;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench features}: the feature topology against a pass-through Streams app and
 * against the same windows as Kafka Streams DSL hopping-window aggregations ({@link DslWindows}),
 * with the same exactly-once settings, on the same input, in one run on an in-process broker; then
 * the tile code alone under JMH. Prints one JSON line last.
 */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        description = "Benchmark the feature stage; prints one JSON line last.")
final class FeaturesBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(FeaturesBench.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--events", description = "Transactions per run (default: ${DEFAULT-VALUE}).")
    int events = 200_000;

    @Option(names = "--entities", description = "Distinct entities (default: ${DEFAULT-VALUE}).")
    int entities = 20_000;

    @Option(
            names = "--partitions",
            description = "Partitions of the topics (default: ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A tideline.features.* setting for both apps, e.g. -D"
                            + " tideline.features.commit-interval=PT1S.")
    Map<String, String> settings = new HashMap<>();

    @Option(
            names = "--rounds",
            description = "Measured rounds of each app (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--skip-jmh", description = "Skip the JMH benchmark of the tile code.")
    boolean skipJmh;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("tideline-bench");
        try (LocalStack stack =
                LocalStack.builder().withoutPostgres().workDir(work.resolve("stack")).start()) {
            String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Map<String, String> values = new HashMap<>();
            values.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
            values.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
            values.put(TopicCatalogConfig.PREFIX, prefix);
            values.put(TopicCatalogConfig.PARTITIONS, String.valueOf(partitions));
            values.putAll(settings);
            SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), values);
            TopicCatalog catalog = ClientSettings.catalog(values, registry);
            String passthroughTopic = prefix + "bench.passthrough";
            String dslTopic = prefix + "bench.dsl";
            try (Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    stack.bootstrapServers()))) {
                TopicBootstrap.ensure(
                        admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
                admin.createTopics(
                                List.of(
                                        new NewTopic(passthroughTopic, partitions, (short) 1),
                                        new NewTopic(dslTopic, partitions, (short) 1)))
                        .all()
                        .get();
            }
            log.info("Producing {} transactions over {} entities", events, entities);
            produce(stack, catalog);

            // Each app reads the same input from the start. The first pair warms the JIT; then
            // the two alternate, and the median of each is reported, since these machines are
            // shared and noisy.
            // The built-in spec without its merchant features (the stage without the merchant
            // hop), and the built-in spec as it ships.
            FeatureSpec builtin = FeatureSpec.builtin(FeatureSpec.DEFAULT);
            Path entityOnly = work.resolve("payments-entity-only.json");
            Files.writeString(entityOnly, builtin.withoutMerchantFeatures().canonicalForm());
            String entitySpec = entityOnly.toString();
            String merchantSpec = "builtin:" + FeatureSpec.DEFAULT;
            passthrough(values, catalog, passthroughTopic, work, "pt-warm");
            features(values, work, "ft-warm", entitySpec);
            features(values, work, "mt-warm", merchantSpec);
            dsl(values, catalog, builtin, dslTopic, work, "dsl-warm");
            List<Double> passthroughRates = new ArrayList<>();
            List<Double> dslRates = new ArrayList<>();
            List<Run> featureRuns = new ArrayList<>();
            List<Run> merchantRuns = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                passthroughRates.add(
                        passthrough(values, catalog, passthroughTopic, work, "pt-" + round));
                featureRuns.add(features(values, work, "ft-" + round, entitySpec));
                merchantRuns.add(features(values, work, "mt-" + round, merchantSpec));
                dslRates.add(dsl(values, catalog, builtin, dslTopic, work, "dsl-" + round));
                log.info(
                        "Round {}: pass-through {} events/s, features {} events/s, with merchant"
                                + " features {} events/s, DSL windows {} events/s",
                        round,
                        Math.round(passthroughRates.get(round)),
                        Math.round(featureRuns.get(round).eventsPerSecond()),
                        Math.round(merchantRuns.get(round).eventsPerSecond()),
                        Math.round(dslRates.get(round)));
            }
            double passthrough = median(passthroughRates);
            double dsl = median(dslRates);
            featureRuns.sort(Comparator.comparingDouble(Run::eventsPerSecond));
            Run features = featureRuns.get(featureRuns.size() / 2);
            merchantRuns.sort(Comparator.comparingDouble(Run::eventsPerSecond));
            Run merchant = merchantRuns.get(merchantRuns.size() / 2);

            ObjectNode json = new ObjectMapper().createObjectNode();
            json.put("bench", "features");
            json.put("events", events);
            json.put("entities", entities);
            json.put("partitions", partitions);
            json.put("rounds", rounds);
            json.put("events_per_s", Math.round(features.eventsPerSecond));
            json.put("passthrough_events_per_s", Math.round(passthrough));
            json.put("ratio", Math.round(1000 * features.eventsPerSecond / passthrough) / 1000.0);
            json.put("state_bytes_per_entity", new StateLayout(builtin).bytesPerEntity());
            json.put("merchant_events_per_s", Math.round(merchant.eventsPerSecond));
            json.put(
                    "merchant_ratio",
                    Math.round(1000 * merchant.eventsPerSecond / passthrough) / 1000.0);
            json.put("dsl_events_per_s", Math.round(dsl));
            json.put("vs_dsl", Math.round(100 * features.eventsPerSecond / dsl) / 100.0);
            json.put("process_latency_p50_us", features.p50Micros);
            json.put("process_latency_p99_us", features.p99Micros);
            if (!skipJmh) {
                json.put("tile_apply_ops_per_s", Math.round(tileOpsPerSecond()));
            }
            json.put("cpus", Runtime.getRuntime().availableProcessors());
            out.println(json);
            out.flush();
            return 0;
        } finally {
            deleteQuietly(work);
        }
    }

    private void produce(LocalStack stack, TopicCatalog catalog) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        Random random = new Random(1);
        String[] countries = {"DE", "FR", "NL", "ES", "IT"};
        Channel[] channels = Channel.values();
        // Event times end before now: the vectors carry them as record timestamps,
        // and a fixed past date would fall behind the topics' retention during the run.
        Instant t = Instant.now().minusMillis(200L * events);
        try (KafkaProducer<String, Transaction> producer =
                new KafkaProducer<>(
                        config,
                        new StringSerializer(),
                        catalog.transactions().valueSerde().serializer())) {
            for (int i = 0; i < events; i++) {
                t = t.plusMillis(random.nextInt(200));
                String entity = "acct-" + random.nextInt(entities);
                Transaction tx =
                        Transaction.newBuilder()
                                .setTxnId("txn-" + i)
                                .setEntityId(entity)
                                .setMerchantId("m-" + random.nextInt(5_000))
                                .setAmountMinor(100 + random.nextInt(500_000))
                                .setCurrency("EUR")
                                .setCountry(countries[random.nextInt(countries.length)])
                                .setChannel(channels[1 + random.nextInt(channels.length - 1)])
                                .setEventTime(t)
                                .build();
                producer.send(new ProducerRecord<>(catalog.transactions().name(), entity, tx));
            }
            producer.flush();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Comparator.naturalOrder());
        return sorted.get(sorted.size() / 2);
    }

    private record Run(double eventsPerSecond, double p50Micros, double p99Micros) {}

    /**
     * One run of the stage with {@code spec}, from the first record to the last vector committed on
     * the output topic (with merchant features, vectors leave through the merchant's task).
     */
    private Run features(Map<String, String> values, Path work, String name, String spec)
            throws Exception {
        Map<String, String> config = new HashMap<>(values);
        config.put(FeatureConfig.APPLICATION_ID, values.get(TopicCatalogConfig.PREFIX) + name);
        config.put(FeatureConfig.STATE_DIR, work.resolve(name).toString());
        config.put(FeatureConfig.HTTP_PORT, "-1");
        config.put(FeatureConfig.SPEC, spec);
        try (FeatureApp app = FeatureApp.start(new FeatureConfig(config))) {
            boolean merchant = app.spec().hasMerchantFeatures();
            double rate =
                    timeUntilDone(
                            app.streams(),
                            () ->
                                    (long)
                                            (merchant
                                                    ? app.metrics().merchantCompleted()
                                                    : app.metrics().vectors()));
            logThreadRatios(name, app.streams());
            Timer latency =
                    app.metrics().registry().find("tideline.features.process.latency").timer();
            double p50 = 0;
            double p99 = 0;
            for (ValueAtPercentile v : latency.takeSnapshot().percentileValues()) {
                if (v.percentile() == 0.5) {
                    p50 = v.value(TimeUnit.MICROSECONDS);
                } else if (v.percentile() == 0.99) {
                    p99 = v.value(TimeUnit.MICROSECONDS);
                }
            }
            log.info("{}: mean process latency {} us", name, latency.mean(TimeUnit.MICROSECONDS));
            return new Run(rate, Math.round(p50 * 10) / 10.0, Math.round(p99 * 10) / 10.0);
        }
    }

    /** The baseline: the same source, serdes and exactly-once settings, and an identity map. */
    private double passthrough(
            Map<String, String> values, TopicCatalog catalog, String topic, Path work, String name)
            throws Exception {
        return baseline(
                values,
                catalog,
                work,
                name,
                (props, seen) -> {
                    StreamsBuilder builder = new StreamsBuilder();
                    builder.stream(
                                    catalog.transactions().name(),
                                    Consumed.with(
                                            catalog.transactions().keySerde(),
                                            catalog.transactions().valueSerde()))
                            .mapValues(
                                    tx -> {
                                        seen.incrementAndGet();
                                        return tx;
                                    })
                            .to(
                                    topic,
                                    Produced.with(
                                            catalog.transactions().keySerde(),
                                            catalog.transactions().valueSerde()));
                    return builder.build(props);
                });
    }

    /**
     * The spec's windowed counts and sums as Kafka Streams DSL hopping windows ({@link
     * DslWindows}), with the same exactly-once settings, on the same input.
     */
    private double dsl(
            Map<String, String> values,
            TopicCatalog catalog,
            FeatureSpec spec,
            String topic,
            Path work,
            String name)
            throws Exception {
        return baseline(
                values,
                catalog,
                work,
                name,
                (props, seen) ->
                        DslWindows.build(catalog.transactions(), spec, topic, seen, props));
    }

    /**
     * One run of a comparison app under the feature stage's Streams settings, until it has seen
     * every event: events per second.
     */
    private double baseline(
            Map<String, String> values,
            TopicCatalog catalog,
            Path work,
            String name,
            BiFunction<Properties, AtomicLong, Topology> topology)
            throws Exception {
        Map<String, String> config = new HashMap<>(values);
        config.put(FeatureConfig.APPLICATION_ID, values.get(TopicCatalogConfig.PREFIX) + name);
        config.put(FeatureConfig.STATE_DIR, work.resolve(name).toString());
        Properties props =
                FeatureApp.streamsProperties(
                        new FeatureConfig(config), catalog, FeatureMetrics.standalone(), -1);
        AtomicLong seen = new AtomicLong();
        try (KafkaStreams streams = new KafkaStreams(topology.apply(props, seen), props)) {
            streams.start();
            double rate = timeUntilDone(streams, seen::get);
            logThreadRatios(name, streams);
            return rate;
        }
    }

    /** Logs where the stream thread spent its time: Kafka Streams' own ratios. */
    private static void logThreadRatios(String name, KafkaStreams streams) {
        StringBuilder sb = new StringBuilder();
        streams.metrics()
                .forEach(
                        (id, metric) -> {
                            if (id.group().equals("stream-thread-metrics")
                                    && id.name().endsWith("-ratio")) {
                                sb.append(' ')
                                        .append(id.name())
                                        .append('=')
                                        .append(metric.metricValue());
                            }
                        });
        log.info("{} stream thread time:{}", name, sb);
    }

    /** Events per second from the moment the app is RUNNING until it has seen every event. */
    private double timeUntilDone(KafkaStreams streams, LongSupplier processed)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            check(streams, deadline);
            Thread.sleep(10);
        }
        long start = System.nanoTime();
        long startCount = processed.getAsLong();
        while (processed.getAsLong() < events) {
            check(streams, deadline);
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return (events - startCount) / seconds;
    }

    private static void check(KafkaStreams streams, long deadline) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("benchmark run did not finish within " + TIMEOUT);
        }
        if (streams.state() == KafkaStreams.State.ERROR
                || streams.state() == KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException("benchmark app stopped: " + streams.state());
        }
    }

    private static double tileOpsPerSecond() throws Exception {
        var options =
                new OptionsBuilder()
                        .include(TileBenchmark.class.getName())
                        .forks(1)
                        .warmupIterations(2)
                        .warmupTime(TimeValue.seconds(1))
                        .measurementIterations(3)
                        .measurementTime(TimeValue.seconds(1))
                        .shouldFailOnError(true)
                        .verbosity(VerboseMode.SILENT)
                        .build();
        RunResult result = new Runner(options).runSingle();
        return result.getPrimaryResult().getScore();
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("Could not delete {}", dir, e);
        }
    }
}
