package dev.tideline.training;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.training.io.Contracts;
import dev.tideline.training.io.Example;
import dev.tideline.training.io.Incoming;
import dev.tideline.training.io.LabelDeserializer;
import dev.tideline.training.io.LabelEvent;
import dev.tideline.training.io.Rejected;
import dev.tideline.training.io.RejectedWriter;
import dev.tideline.training.io.ReleaseWriter;
import dev.tideline.training.io.ServedVector;
import dev.tideline.training.io.SyncSerdes;
import dev.tideline.training.io.VectorDeserializer;
import dev.tideline.training.join.LabelJoin;
import dev.tideline.training.learn.Aggregator;
import dev.tideline.training.learn.GlobalState;
import dev.tideline.training.learn.Learner;
import dev.tideline.training.learn.ModelUpdate;
import dev.tideline.training.learn.ReleaseCandidate;
import dev.tideline.training.learn.TrainingSettings;
import dev.tideline.training.publish.Publisher;
import dev.tideline.training.publish.Release;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training job, as a builder over a {@link StreamExecutionEnvironment}: the same graph runs in
 * a MiniCluster (the embedded demo, the tests) and on a Flink cluster ({@code flink run}).
 *
 * <pre>
 * features.v1 ─► decode ─┐                                   ┌─► dead letters (.dlq)
 * cdc.labels  ─► decode ─┴─► LabelJoin (keyed by txn id) ─► examples ─► P Learners ─► Aggregator ─┬─► training.sync.v1
 *                                                                 ▲ (broadcast)                  └─► Publisher ─► models.v1
 * training.sync.v1 ───────────────────────────────────────────────┘
 * </pre>
 *
 * Every stateful operator has a stable uid. Releases and dead letters are written in Kafka
 * transactions committed on checkpoints, and the input sources read {@code read_committed}. Global
 * versions go to the learners at once (at-least-once; learners ignore versions they hold): after a
 * restore, learners may hold a version the restored aggregator re-numbers, which costs at most a
 * round's consistency, never an example.
 */
public final class TrainingJob {

    private static final Logger log = LoggerFactory.getLogger(TrainingJob.class);

    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected-records") {};

    private TrainingJob() {}

    /** Configures checkpointing, state and restarts from the settings. */
    public static Configuration flinkConfiguration(TrainingConfig config) {
        Configuration flink = new Configuration();
        flink.set(
                StateBackendOptions.STATE_BACKEND, config.getString(TrainingConfig.STATE_BACKEND));
        flink.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        // Most reads of the label join are for transactions not seen yet: a Bloom filter answers
        // them without searching every SST file a checkpoint's flush has left.
        flink.set(RocksDBConfigurableOptions.USE_BLOOM_FILTER, true);
        String dir = config.getString(TrainingConfig.CHECKPOINT_DIR);
        if (!dir.isBlank()) {
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
            // Kept when the job is cancelled or its process dies, so that it can resume.
            flink.set(
                    CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        String resume = config.getString(TrainingConfig.RESUME_FROM);
        Optional<String> from =
                switch (resume) {
                    case "none" -> Optional.empty();
                    case "latest" ->
                            dir.isBlank() || !(dir.startsWith("file:") || dir.startsWith("/"))
                                    ? Optional.empty()
                                    : CheckpointResume.latest(dir).map(URI::toString);
                    default -> Optional.of(resume);
                };
        from.ifPresent(
                path -> {
                    log.info("Resuming the training job from {}", path);
                    flink.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
                });
        int attempts = config.getInt(TrainingConfig.RESTART_ATTEMPTS);
        if (attempts == 0) {
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        } else {
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
            flink.set(
                    RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(config.getLong(TrainingConfig.RESTART_DELAY_MS)));
        }
        return flink;
    }

    /**
     * Event-time watermarks of the input sources: bounded out-of-orderness over the vectors' event
     * times and the labels' report times, with idle partitions released.
     */
    public static WatermarkStrategy<Incoming> eventTime(TrainingConfig config) {
        Duration outOfOrder = Duration.ofMillis(config.getLong(TrainingConfig.OUT_OF_ORDERNESS_MS));
        Duration idle = Duration.ofMillis(config.getLong(TrainingConfig.IDLENESS_MS));
        return WatermarkStrategy.<Incoming>forBoundedOutOfOrderness(outOfOrder)
                .withTimestampAssigner(
                        (i, kafkaTimestamp) ->
                                i.vector != null
                                        ? i.vector.eventTimeMs
                                        : i.label != null
                                                ? i.label.reportedAtMs
                                                // Rejected records carry no event
                                                // time: they never move the clock.
                                                : Long.MIN_VALUE)
                .withIdleness(idle);
    }

    /**
     * Exactly-once checkpointing at the configured interval, and the state backend, restarts and
     * resume point of {@link #flinkConfiguration}; shared with {@code bench training}'s
     * pass-through.
     */
    public static void configure(StreamExecutionEnvironment env, TrainingConfig config) {
        env.enableCheckpointing(
                config.getLong(TrainingConfig.CHECKPOINT_INTERVAL_MS),
                CheckpointingMode.EXACTLY_ONCE);
        env.configure(flinkConfiguration(config));
    }

    /** Adds the job to {@code env}. */
    public static void build(StreamExecutionEnvironment env, TrainingConfig config) {
        Contracts contracts = new Contracts(config.values());
        TopicCatalog catalog = contracts.catalog();
        TrainingSettings settings = config.training();
        String group = config.getString(TrainingConfig.GROUP_ID);
        int parallelism = settings.learners();
        env.setParallelism(parallelism);
        configure(env, config);

        WatermarkStrategy<Incoming> byEventTime = eventTime(config);

        SingleOutputStreamOperator<ServedVector> vectors =
                env.fromSource(
                                source(
                                        contracts,
                                        catalog.features().name(),
                                        group + "-features",
                                        new VectorDeserializer(
                                                contracts,
                                                config.spec().fingerprint(),
                                                settings.width()),
                                        OffsetsInitializer.committedOffsets(
                                                OffsetResetStrategy.EARLIEST),
                                        "read_committed"),
                                byEventTime,
                                "features.v1")
                        .uid("source-features")
                        .process(new VectorsOnly())
                        .uid("decode-features")
                        .name("vectors");
        SingleOutputStreamOperator<LabelEvent> labels =
                env.fromSource(
                                source(
                                        contracts,
                                        catalog.labels().name(),
                                        group + "-labels",
                                        new LabelDeserializer(contracts),
                                        OffsetsInitializer.committedOffsets(
                                                OffsetResetStrategy.EARLIEST),
                                        "read_committed"),
                                byEventTime,
                                "cdc.labels")
                        .uid("source-labels")
                        .process(new LabelsOnly())
                        .uid("decode-labels")
                        .name("labels");

        SingleOutputStreamOperator<Example> examples =
                vectors.keyBy(v -> v.txnId, Types.STRING)
                        .connect(labels.keyBy(l -> l.txnId, Types.STRING))
                        .transform(
                                "label join at maturity",
                                TypeInformation.of(Example.class),
                                LabelJoin.operator(
                                        config.maturity(), config.retention(), config.positives()))
                        .uid("label-join");

        vectors.getSideOutput(REJECTED)
                .union(labels.getSideOutput(REJECTED), examples.getSideOutput(LabelJoin.REJECTED))
                .sinkTo(
                        sink(
                                config,
                                contracts,
                                group + "-dlq",
                                new RejectedWriter(contracts),
                                DeliveryGuarantee.EXACTLY_ONCE))
                .uid("sink-dead-letters")
                .name("dead letters");

        DataStream<GlobalState> globals =
                env.fromSource(
                                source(
                                        contracts,
                                        catalog.trainingSync().name(),
                                        group + "-sync",
                                        new SyncSerdes.Reader(contracts, settings.modelName()),
                                        // A fresh job starts from its own version 0, not from an
                                        // earlier deployment's versions; a restored one resumes
                                        // at its checkpointed offsets.
                                        OffsetsInitializer.latest(),
                                        "read_uncommitted"),
                                WatermarkStrategy.noWatermarks(),
                                "training.sync.v1")
                        .uid("source-sync")
                        .setParallelism(1)
                        // The feedback loop flushes every record: a round trip is not held up
                        // by network buffers filling.
                        .setBufferTimeout(0);

        // One matured example in holdout-every goes to the publisher's holdout, never to a
        // learner: the champion/challenger gate scores exported models on it.
        int every = config.getInt(TrainingConfig.HOLDOUT_EVERY);
        DataStream<Example> training =
                every == 0
                        ? examples
                        : examples.filter(e -> !heldOut(e.txnId, every))
                                .uid("not-held-out")
                                .name("train");
        DataStream<Example> holdout =
                every == 0
                        ? null
                        : examples.filter(e -> heldOut(e.txnId, every))
                                .uid("held-out")
                                .name("holdout");

        SingleOutputStreamOperator<ModelUpdate> updates =
                training.rebalance()
                        .connect(globals.broadcast())
                        .transform(
                                "learners",
                                TypeInformation.of(ModelUpdate.class),
                                new Learner(settings))
                        .uid("learners")
                        .setBufferTimeout(0);

        String model = settings.modelName();
        SingleOutputStreamOperator<GlobalState> aggregated =
                updates.transform(
                                "aggregator",
                                TypeInformation.of(GlobalState.class),
                                new Aggregator(settings))
                        .uid("aggregator")
                        .setParallelism(1)
                        .setMaxParallelism(1)
                        .setBufferTimeout(0);
        aggregated
                .sinkTo(
                        sink(
                                config,
                                contracts,
                                group + "-sync",
                                new SyncSerdes.Writer(contracts, model, config.spec()),
                                // Learners need new versions at once, not a checkpoint later;
                                // versions are idempotent, so at-least-once is enough here.
                                DeliveryGuarantee.AT_LEAST_ONCE))
                .uid("sink-sync")
                .name("training.sync.v1")
                .setParallelism(1);

        int holdoutSize = config.getInt(TrainingConfig.HOLDOUT_SIZE);
        DataStream<Example> heldOut =
                holdout != null
                        ? holdout
                        : env.fromData(Example.class).uid("no-holdout").name("no holdout");
        aggregated
                .getSideOutput(Aggregator.RELEASES)
                .keyBy((ReleaseCandidate c) -> model, Types.STRING)
                .connect(heldOut.keyBy((Example e) -> model, Types.STRING))
                .process(
                        new Publisher(
                                config.spec(),
                                config.getDouble(TrainingConfig.AUC_MARGIN),
                                config.getLong(TrainingConfig.GATE_MIN_EXAMPLES),
                                holdoutSize,
                                Math.max(50, holdoutSize / 10)),
                        TypeInformation.of(Release.class))
                .uid("publisher")
                .name("export, validate, release")
                .setParallelism(1)
                .setMaxParallelism(1)
                .sinkTo(
                        sink(
                                config,
                                contracts,
                                group + "-models",
                                new ReleaseWriter(
                                        contracts,
                                        config.getString(TrainingConfig.SIGNING_KEY),
                                        config.getString(TrainingConfig.SIGNING_KEY_ID)),
                                DeliveryGuarantee.EXACTLY_ONCE))
                .uid("sink-models")
                .name("models.v1")
                .setParallelism(1);
    }

    /**
     * A source of one topic with the job's client settings, its isolation level and fetch settings;
     * shared with {@code bench training}'s pass-through job.
     */
    public static <T> KafkaSource<T> source(
            Contracts contracts,
            String topic,
            String groupId,
            KafkaRecordDeserializationSchema<T> deserializer,
            OffsetsInitializer start,
            String isolation) {
        Properties props = new Properties();
        contracts.kafkaClient().forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
        return KafkaSource.<T>builder()
                .setProperties(props)
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(start)
                .setDeserializer(deserializer)
                .setProperty("isolation.level", isolation)
                // The sync topic is a feedback loop: a fetch should not wait for more bytes.
                .setProperty(
                        "fetch.max.wait.ms", isolation.equals("read_uncommitted") ? "5" : "500")
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
    }

    /** A sink with the job's client settings and transaction timeout. */
    public static <T> KafkaSink<T> sink(
            TrainingConfig config,
            Contracts contracts,
            String transactionalIdPrefix,
            KafkaRecordSerializationSchema<T> serializer,
            DeliveryGuarantee guarantee) {
        Properties props = new Properties();
        contracts.kafkaClient().forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
        props.setProperty(
                "transaction.timeout.ms",
                String.valueOf(config.getLong(TrainingConfig.TRANSACTION_TIMEOUT_MS)));
        if (guarantee == DeliveryGuarantee.AT_LEAST_ONCE) {
            props.setProperty("linger.ms", "0");
        }
        return KafkaSink.<T>builder()
                .setBootstrapServers(props.getProperty("bootstrap.servers"))
                .setKafkaProducerConfig(props)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .build();
    }

    /** Vectors on, rejected records to the side. */
    public static final class VectorsOnly extends ProcessFunction<Incoming, ServedVector> {
        @Override
        public void processElement(Incoming in, Context ctx, Collector<ServedVector> out) {
            if (in.vector != null) {
                out.collect(in.vector);
            } else if (in.rejected != null) {
                ctx.output(REJECTED, in.rejected);
            }
        }
    }

    /** Labels on, rejected records to the side. */
    static final class LabelsOnly extends ProcessFunction<Incoming, LabelEvent> {
        @Override
        public void processElement(Incoming in, Context ctx, Collector<LabelEvent> out) {
            if (in.label != null) {
                out.collect(in.label);
            } else if (in.rejected != null) {
                ctx.output(REJECTED, in.rejected);
            }
        }
    }

    /**
     * Whether the transaction's example goes to the publisher's holdout rather than the learners
     * (one transaction id in {@code every}; none when {@code every} is 0).
     */
    public static boolean heldOut(String txnId, int every) {
        return every > 0 && Math.floorMod(txnId.hashCode(), every) == 0;
    }
}
