package dev.tideline.connectors;

import dev.tideline.schemas.TopicCatalog;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's embedded engine in this JVM, writing account rows to {@code cdc.accounts} and
 * chargebacks to {@code cdc.labels} with Tideline's serdes: the same records, on the same topics,
 * as the Kafka Connect deployment.
 *
 * <p>Each batch is sent and acknowledged by Kafka before its source offsets are marked processed,
 * and offsets are kept in a file: a restart resumes where the last flushed offset left off, with no
 * new snapshot and no gap. Rows since that flush are sent again, which is harmless: accounts are a
 * compacted table keyed by account id, and labels are keyed by transaction id for consumers to
 * dedupe.
 */
public final class CdcRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CdcRunner.class);
    static final String STAGE = "connectors";

    /** Where to capture from and where to keep offsets. */
    public record Settings(
            String jdbcUrl,
            String user,
            String password,
            String slot,
            String publication,
            Path offsetsFile,
            String bootstrapServers,
            Map<String, Object> kafkaClient) {}

    /** The runner's state, for health checks. */
    public enum State {
        STARTING,
        RUNNING,
        FAILED,
        STOPPED
    }

    private final Settings settings;
    private final TopicCatalog catalog;
    private final CdcMetrics metrics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ChangeEventMapper mapper;
    private final ExecutorService executor;
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile State state = State.STARTING;
    private volatile Throwable failure;

    private CdcRunner(Settings settings, TopicCatalog catalog, CdcMetrics metrics) {
        this.settings = settings;
        this.catalog = catalog;
        this.metrics = metrics;
        this.mapper = new ChangeEventMapper(catalog, metrics);
        Map<String, Object> producerConfig = new HashMap<>(settings.kafkaClient());
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer =
                new KafkaProducer<>(
                        producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        this.engine =
                DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                        .using(debeziumProperties(settings))
                        .notifying(this::handleBatch)
                        .using(this::completed)
                        .using(
                                new DebeziumEngine.ConnectorCallback() {
                                    @Override
                                    public void taskStarted() {
                                        state = State.RUNNING;
                                        log.info("CDC runner capturing");
                                    }
                                })
                        .build();
        this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "tideline-cdc"));
    }

    /** Starts capturing; the first run takes a consistent snapshot, later runs resume. */
    public static CdcRunner start(Settings settings, TopicCatalog catalog, CdcMetrics metrics) {
        CdcRunner runner = new CdcRunner(settings, catalog, metrics);
        runner.executor.execute(runner.engine);
        log.info(
                "CDC runner started: slot {}, publication {}, offsets in {}",
                settings.slot(),
                settings.publication(),
                settings.offsetsFile());
        return runner;
    }

    static Properties debeziumProperties(Settings s) {
        URI uri = URI.create(s.jdbcUrl().substring("jdbc:".length()));
        String database = uri.getPath().replaceFirst("^/", "");
        Properties p = new Properties();
        p.setProperty("name", "tideline-cdc-" + s.slot());
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", s.offsetsFile().toString());
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", uri.getHost());
        p.setProperty("database.port", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()));
        p.setProperty("database.user", s.user());
        p.setProperty("database.password", s.password());
        p.setProperty("database.dbname", database);
        p.setProperty("topic.prefix", "tideline");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", s.slot());
        p.setProperty("publication.name", s.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("table.include.list", "public.accounts,public.chargebacks");
        p.setProperty("snapshot.mode", "initial");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "precise");
        // How long the connector waits for more changes before handing over a batch: the floor of
        // change-to-Kafka latency (Debezium's default is 500 ms).
        p.setProperty("poll.interval.ms", "50");
        return p;
    }

    private void handleBatch(
            List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        state = State.RUNNING;
        List<Future<RecordMetadata>> sends = new ArrayList<>(events.size());
        for (RecordChangeEvent<SourceRecord> event : events) {
            ProducerRecord<byte[], byte[]> out = mapper.map(event.record());
            if (out != null) {
                sends.add(producer.send(out));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> f : sends) {
            try {
                f.get();
            } catch (ExecutionException e) {
                // The engine stops and keeps these offsets unmarked: nothing is lost.
                throw new IllegalStateException(
                        "writing CDC records to Kafka failed: " + e.getCause(), e.getCause());
            }
        }
        for (RecordChangeEvent<SourceRecord> event : events) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    private void completed(boolean success, String message, Throwable error) {
        Throwable cause = error;
        while (cause != null
                && !(cause instanceof SchemaDriftException)
                && cause.getCause() != null
                && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (success) {
            state = State.STOPPED;
            log.info("CDC runner stopped: {}", message);
        } else {
            failure = cause instanceof SchemaDriftException ? cause : error;
            state = State.FAILED;
            log.error(
                    "CDC runner failed: {}",
                    failure == null ? message : failure.getMessage(),
                    failure);
        }
        done.countDown();
    }

    public State state() {
        return state;
    }

    /** Why the runner failed, when it did. */
    public Throwable failure() {
        return failure;
    }

    public CdcMetrics metrics() {
        return metrics;
    }

    /** Waits for the engine to end (a failure, or close). */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            engine.close();
            done.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("Closing the CDC engine: {}", e.toString());
        } finally {
            executor.shutdownNow();
            producer.close(Duration.ofSeconds(10));
        }
    }
}
