package dev.tideline.features;

import dev.tideline.ops.Engine;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running instance of the feature stage: the Kafka Streams client, its read API and its meters.
 * The same code path serves {@code java -jar}, the CLI, the embedded demo and the tests. Instances
 * with the same application id split the partitions between them.
 */
public final class FeatureApp implements Engine {

    private static final Logger log = LoggerFactory.getLogger(FeatureApp.class);
    private static final Duration BOOTSTRAP_TIMEOUT = Duration.ofSeconds(60);

    private final FeatureConfig config;
    private final FeatureSpec spec;
    private final FeatureComputer computer;
    private final TopicCatalog catalog;
    private final PrometheusMeterRegistry registry;
    private final FeatureMetrics metrics;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final FeatureServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private FeatureApp(FeatureConfig config) {
        this.config = config;
        this.spec = config.spec();
        config.entityTtl(spec); // checked against the spec before anything connects
        this.computer = new FeatureComputer(spec);
        SchemaRegistryClient registryClient = config.registry();
        this.catalog = ClientSettings.catalog(config.values(), registryClient);
        int maxVectorBytes;
        try (Admin a = Admin.create(config.kafkaClient())) {
            TopicBootstrap.ensure(a, catalog, Optional.of(registryClient), BOOTSTRAP_TIMEOUT);
            maxVectorBytes = maxVectorBytes(a, catalog, config);
        }
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.metrics = new FeatureMetrics(registry);
        int port = config.getInt(FeatureConfig.HTTP_PORT);
        this.server = port < 0 ? null : bindServer(port);
        Properties props =
                streamsProperties(config, catalog, metrics, server == null ? -1 : server.port());
        Topology topology =
                FeatureTopology.build(
                        new StreamsBuilder(),
                        catalog,
                        spec,
                        options(config).withMaxVectorBytes(maxVectorBytes),
                        metrics,
                        props);
        this.streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(
                new StreamThreadFailurePolicy(
                        config.threadFailureMode(),
                        config.getInt(FeatureConfig.MAX_THREAD_REPLACEMENTS),
                        config.duration(FeatureConfig.THREAD_REPLACEMENT_PERIOD),
                        metrics,
                        Clock.systemUTC()));
        streams.setStateListener(
                (now, before) -> {
                    if (now == KafkaStreams.State.RUNNING) {
                        log.info(
                                "Feature stage {} → {}: active tasks {}, standby tasks {}",
                                before,
                                now,
                                tasks(true),
                                tasks(false));
                    } else {
                        log.info("Feature stage {} → {}", before, now);
                    }
                    if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                        stopped.countDown();
                    }
                });
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        if (server != null) {
            server.attach(
                    streams,
                    computer,
                    spec.hasMerchantFeatures() ? new MerchantComputer(spec) : null,
                    advertised(config, server.port()));
        }
    }

    private SortedSet<String> tasks(boolean active) {
        SortedSet<String> ids = new TreeSet<>();
        streams.metadataForLocalThreads()
                .forEach(
                        t ->
                                (active ? t.activeTasks() : t.standbyTasks())
                                        .forEach(task -> ids.add(task.taskId().toString())));
        return ids;
    }

    /**
     * Sets the JVM's formatting locale ({@link Locale.Category#FORMAT}) to {@link Locale#US}. Kafka
     * Streams 4.3.1 formats a diagnostic message with {@code String.format} for every empty input
     * partition of a task at every record it processes ({@code PartitionGroup.readyToProcess}),
     * whether or not the message is logged, and the entity task reads three partitions of which two
     * (account rows, moved transactions) are almost always empty. On JDK 17 each {@code
     * String.format} in any other locale builds a {@code DecimalFormatSymbols}, about a tenth of
     * the stream thread's time; a host whose locale is {@code C.UTF-8} or {@code POSIX} (the JVM
     * reads {@code en}) pays it. Formatting in {@code Locale.US} makes the stage's throughput the
     * same on every host (README, Latency).
     */
    static void formatInUsLocale() {
        Locale before = Locale.getDefault(Locale.Category.FORMAT);
        if (!Locale.US.equals(before)) {
            Locale.setDefault(Locale.Category.FORMAT, Locale.US);
            log.info(
                    "Formatting locale {} → {} (Kafka Streams formats a message per record)",
                    before,
                    Locale.US);
        }
    }

    /**
     * Builds and starts an instance; the spec and configuration are checked before anything starts.
     */
    public static FeatureApp start(FeatureConfig config) {
        formatInUsLocale();
        FeatureApp app = new FeatureApp(config);
        app.streams.start();
        log.info(
                "Feature stage started: spec {}, application id {}, read API on {}",
                app.spec,
                config.getString(FeatureConfig.APPLICATION_ID),
                app.server == null ? "none" : "port " + app.server.port());
        return app;
    }

    static FeatureTopology.Options options(FeatureConfig config) {
        return new FeatureTopology.Options(
                config.getDouble(FeatureConfig.MAX_AMOUNT),
                config.duration(FeatureConfig.EVICTION_INTERVAL),
                config.entityTtl(config.spec()),
                config.duration(FeatureConfig.MAX_FUTURE_SKEW),
                Clock.systemUTC(),
                DEFAULT_MAX_REQUEST_BYTES - RECORD_OVERHEAD_BYTES);
    }

    /** The producer's default {@code max.request.size}. */
    static final int DEFAULT_MAX_REQUEST_BYTES = 1_048_576;

    /** Room kept for a record's batch header, key and headers. */
    static final int RECORD_OVERHEAD_BYTES = 1_024;

    /**
     * The largest vector the stage can write: the output topic's {@code max.message.bytes} and the
     * producer's {@code max.request.size}, less room for the record's framing.
     */
    static int maxVectorBytes(Admin admin, TopicCatalog catalog, FeatureConfig config) {
        ConfigResource topic =
                new ConfigResource(ConfigResource.Type.TOPIC, catalog.features().name());
        int limit = DEFAULT_MAX_REQUEST_BYTES;
        try {
            ConfigEntry max =
                    admin.describeConfigs(List.of(topic))
                            .all()
                            .get(BOOTSTRAP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                            .get(topic)
                            .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (max != null && max.value() != null) {
                limit = Math.min(limit, Integer.parseInt(max.value()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading " + topic.name() + "'s config", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot read the config of " + topic.name() + ": " + e.getMessage(), e);
        }
        Object request =
                config.streamsOverrides().get("producer." + ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (request == null) {
            request = config.streamsOverrides().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        }
        if (request != null) {
            limit = Math.min(limit, Integer.parseInt(request.toString().trim()));
        }
        return limit - RECORD_OVERHEAD_BYTES;
    }

    /**
     * The Kafka Streams settings of the stage: exactly-once, dead-letter handlers, read API
     * address.
     */
    public static Properties streamsProperties(
            FeatureConfig config, TopicCatalog catalog, FeatureMetrics metrics, int httpPort) {
        Properties p = new Properties();
        p.putAll(config.kafkaClient());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(FeatureConfig.APPLICATION_ID));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(
                StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG,
                config.getInt(FeatureConfig.STANDBY_REPLICAS));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(FeatureConfig.STREAM_THREADS));
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(FeatureConfig.STATE_DIR));
        long commitMs = config.duration(FeatureConfig.COMMIT_INTERVAL).toMillis();
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        // A stream thread commits between polls, and a poll with nothing to fetch blocks for
        // poll.ms (100 ms by default): at a low rate, records already processed would wait that
        // long past their commit interval. Half the interval bounds it.
        p.put(StreamsConfig.POLL_MS_CONFIG, Math.max(1, Math.min(100, commitMs / 2)));
        p.put(
                StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG,
                config.getLong(FeatureConfig.CACHE_MAX_BYTES));
        // Changelog records are whole entity states, mostly empty tiles: they compress
        // several-fold.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) catalog.config().replicationFactor());
        // The account table reads its compacted source topic back on restore instead of a
        // changelog.
        p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);
        p.put(
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterHandler.class.getName());
        p.put(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterHandler.class.getName());

        // The internal topics carry transactions, vectors and labels: their dead letters go where
        // the input's, the vectors' and the labels' do.
        String app = config.getString(FeatureConfig.APPLICATION_ID);
        String labelsDlq = catalog.deadLetter(catalog.labels()).name();
        p.put(
                DeadLetterHandler.TOPICS_CONFIG,
                Map.of(
                        catalog.transactions().name(),
                        catalog.deadLetter(catalog.transactions()).name(),
                        catalog.accounts().name(),
                        catalog.cdcDeadLetter().name(),
                        catalog.labels().name(),
                        labelsDlq,
                        FeatureTopology.internalTopic(app, FeatureTopology.TRANSACTIONS_BY_ENTITY),
                        catalog.deadLetter(catalog.transactions()).name(),
                        FeatureTopology.internalTopic(app, MerchantRouting.VECTORS_BY_MERCHANT),
                        catalog.deadLetter(catalog.features()).name(),
                        FeatureTopology.internalTopic(app, MerchantRouting.FRAUDS_BY_MERCHANT),
                        labelsDlq));
        p.put(DeadLetterHandler.METRICS_CONFIG, metrics);
        if (httpPort > 0) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised(config, httpPort));
        }
        String instance = config.getString(FeatureConfig.INSTANCE_ID).trim();
        if (!instance.isEmpty()) {
            // Streams suffixes it with each stream thread's index: <instance-id>-1, -2, ...
            p.put(
                    StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                    instance);
        }
        p.putAll(config.streamsOverrides());
        return p;
    }

    private static String advertised(FeatureConfig config, int port) {
        return config.getString(FeatureConfig.ADVERTISED_HOST) + ":" + port;
    }

    private FeatureServer bindServer(int port) {
        return new FeatureServer(config.getString(FeatureConfig.HTTP_HOST), port, registry);
    }

    public KafkaStreams streams() {
        return streams;
    }

    public FeatureSpec spec() {
        return spec;
    }

    public FeatureConfig config() {
        return config;
    }

    public FeatureMetrics metrics() {
        return metrics;
    }

    public TopicCatalog catalog() {
        return catalog;
    }

    /** The read API's port, or -1 when it is off. */
    public int httpPort() {
        return server == null ? -1 : server.port();
    }

    /** Blocks until the Streams client stops: exit 1 when it stopped in error, else 0. */
    @Override
    public int awaitExit() throws InterruptedException {
        stopped.await();
        return streams.state() == KafkaStreams.State.ERROR ? 1 : 0;
    }

    @Override
    public void close() {
        // A static member that stops on purpose leaves the group, so that its tasks move at once
        // (one that crashes keeps them for the session timeout, to take them back on restart).
        streams.close(
                CloseOptions.groupMembershipOperation(
                                CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(30)));
        streamsMetrics.close();
        if (server != null) {
            server.close();
        }
        registry.close();
        stopped.countDown();
    }
}
