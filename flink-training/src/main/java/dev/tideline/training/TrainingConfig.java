package dev.tideline.training;

import dev.tideline.ops.config.AppConfig;
import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.schemas.model.ReleaseSignature;
import dev.tideline.training.join.LabelJoin;
import dev.tideline.training.learn.TrainingSettings;
import dev.tideline.training.model.Optimizer;
import dev.tideline.training.publish.SpecIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** The training job's settings, loaded in layers; unknown keys refuse start-up by name. */
public final class TrainingConfig extends AppConfig {

    static final String P = "tideline.training.";
    public static final String MODEL = P + "model";
    public static final String KIND = P + "kind";
    public static final String HIDDEN = P + "hidden";
    public static final String SEED = P + "seed";
    public static final String OPTIMIZER = P + "optimizer";
    public static final String LEARNING_RATE = P + "learning-rate";
    public static final String L2 = P + "l2";
    public static final String POSITIVE_WEIGHT = P + "positive-weight";
    public static final String BATCH_SIZE = P + "batch-size";
    public static final String UPDATE_EVERY = P + "update-every";
    public static final String FLUSH_AFTER_MS = P + "flush-after-ms";
    public static final String PARALLELISM = P + "parallelism";
    public static final String ROUND_TIMEOUT_MS = P + "round-timeout-ms";
    public static final String MAX_STALENESS = P + "max-staleness";
    public static final String RELEASE_EVERY_ROUNDS = P + "release-every-rounds";
    public static final String RELEASE_EVERY_MS = P + "release-every-ms";
    public static final String AUC_MARGIN = P + "auc-margin";
    public static final String HOLDOUT_EVERY = P + "holdout-every";
    public static final String HOLDOUT_SIZE = P + "holdout-size";
    public static final String GATE_MIN_EXAMPLES = P + "gate-min-examples";
    public static final String SERVER_LEARNING_RATE = P + "server-learning-rate";
    public static final String MATURITY_MS = P + "maturity-ms";
    public static final String POSITIVES = P + "positives";
    public static final String RETENTION_MS = P + "retention-ms";
    public static final String OUT_OF_ORDERNESS_MS = P + "out-of-orderness-ms";
    public static final String IDLENESS_MS = P + "idleness-ms";
    public static final String SPEC_ID = P + "spec-id";
    public static final String SPEC_VERSION = P + "spec-version";
    public static final String SPEC_FINGERPRINT = P + "spec-fingerprint";
    public static final String INPUT_WIDTH = P + "input-width";
    public static final String GROUP_ID = P + "group-id";
    public static final String CHECKPOINT_INTERVAL_MS = P + "checkpoint-interval-ms";
    public static final String CHECKPOINT_DIR = P + "checkpoint-dir";
    public static final String STATE_BACKEND = P + "state-backend";
    public static final String RESUME_FROM = P + "resume-from";
    public static final String TRANSACTION_TIMEOUT_MS = P + "transaction-timeout-ms";
    public static final String RESTART_ATTEMPTS = P + "restart-attempts";
    public static final String RESTART_DELAY_MS = P + "restart-delay-ms";
    public static final String SIGNING_KEY = P + "signing-key";
    public static final String SIGNING_KEY_ID = P + "signing-key-id";
    public static final String HTTP_HOST = P + "http.host";
    public static final String HTTP_PORT = P + "http.port";

    public static final ConfigDef DEFINITION =
            AppConfig.definition(
                            P,
                            7073,
                            "/health and /metrics when the job runs in a MiniCluster of its own"
                                    + " (on a Flink cluster, Flink's REST API and metric reporters"
                                    + " serve these)")
                    .define(
                            MODEL,
                            Type.STRING,
                            "fraud",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Name of the model trained: the key of its versions and releases.")
                    .define(
                            KIND,
                            Type.STRING,
                            "logistic",
                            ConfigDef.ValidString.in("logistic", "mlp"),
                            Importance.HIGH,
                            "logistic (regression) or mlp (one hidden ReLU layer).")
                    .define(
                            POSITIVES,
                            Type.STRING,
                            "at-label",
                            ConfigDef.ValidString.in("at-label", "at-maturity"),
                            Importance.MEDIUM,
                            "When a fraud label makes a positive example: at-label (as soon as the"
                                    + " chargeback arrives) or at-maturity (with the negatives of"
                                    + " the same period).")
                    .define(
                            HIDDEN,
                            Type.INT,
                            32,
                            ConfigDef.Range.between(1, 4096),
                            Importance.MEDIUM,
                            "Hidden units of the mlp.")
                    .define(
                            SEED,
                            Type.LONG,
                            1L,
                            Importance.LOW,
                            "Seed of the mlp's initial weights (every learner starts alike).")
                    .define(
                            OPTIMIZER,
                            Type.STRING,
                            "adam",
                            ConfigDef.ValidString.in("adam", "adagrad", "sgd"),
                            Importance.MEDIUM,
                            "adam, adagrad (per-parameter rates that shrink as evidence"
                                    + " accumulates: the demo's) or sgd (mini-batch).")
                    .define(
                            LEARNING_RATE,
                            Type.DOUBLE,
                            null,
                            ConfigDef.LambdaValidator.with(
                                    (name, value) -> {
                                        if (value != null
                                                && ((Double) value < 1e-9 || (Double) value > 10)) {
                                            throw new ConfigException(
                                                    name, value, "must be between 1e-9 and 10");
                                        }
                                    },
                                    () -> "[1e-9,...,10]"),
                            Importance.MEDIUM,
                            "Learning rate; by default the optimiser's own: 0.1 for adagrad and"
                                    + " sgd, 0.01 for adam.")
                    .define(
                            L2,
                            Type.DOUBLE,
                            0.0,
                            ConfigDef.Range.between(0, 1),
                            Importance.LOW,
                            "L2 weight decay.")
                    .define(
                            POSITIVE_WEIGHT,
                            Type.DOUBLE,
                            1.0,
                            ConfigDef.Range.between(1, 1000),
                            Importance.MEDIUM,
                            "How much more a fraud example's loss counts than a legitimate one's:"
                                    + " with fraud at 1% or less, mini-batches hold few positives"
                                    + " and their gradient is washed out. Each step follows the"
                                    + " weighted mean. Releases take its logarithm off the output"
                                    + " bias, so scores stay probabilities. The demo, which trains"
                                    + " positives at maturity, weights them 10.")
                    .define(
                            BATCH_SIZE,
                            Type.INT,
                            32,
                            ConfigDef.Range.between(1, 65536),
                            Importance.MEDIUM,
                            "Examples per optimiser step.")
                    .define(
                            UPDATE_EVERY,
                            Type.INT,
                            512,
                            ConfigDef.Range.atLeast(1),
                            Importance.MEDIUM,
                            "K: examples a learner trains on between updates to the aggregator.")
                    .define(
                            FLUSH_AFTER_MS,
                            Type.LONG,
                            2_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "A learner with examples not yet reported sends them after this long.")
                    .define(
                            PARALLELISM,
                            Type.INT,
                            2,
                            ConfigDef.Range.between(1, 64),
                            Importance.HIGH,
                            "P: learners (and the parallelism of the sources and the join).")
                    .define(
                            ROUND_TIMEOUT_MS,
                            Type.LONG,
                            2_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.MEDIUM,
                            "A round closes without the learners that have not reported by then.")
                    .define(
                            MAX_STALENESS,
                            Type.INT,
                            2,
                            ConfigDef.Range.atLeast(0),
                            Importance.MEDIUM,
                            "Updates based on a global version further behind are discarded.")
                    .define(
                            RELEASE_EVERY_ROUNDS,
                            Type.INT,
                            20,
                            ConfigDef.Range.atLeast(1),
                            Importance.MEDIUM,
                            "N: a model is released every N rounds...")
                    .define(
                            RELEASE_EVERY_MS,
                            Type.LONG,
                            10_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.MEDIUM,
                            "T: ...or every T milliseconds when it changed.")
                    .define(
                            SERVER_LEARNING_RATE,
                            Type.DOUBLE,
                            1.0,
                            ConfigDef.Range.between(0, 1000),
                            Importance.LOW,
                            "Scales each round's example-weighted mean delta: 1 (the default) is"
                                    + " the plain mean; 0 uses the number of learners in the round,"
                                    + " which speeds learning when local steps are few.")
                    .define(
                            GATE_MIN_EXAMPLES,
                            Type.LONG,
                            1_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "The promotion gate judges a release on its examples since the last"
                                    + " release when there are at least this many (and both"
                                    + " classes); otherwise on its cumulative AUC.")
                    .define(
                            HOLDOUT_EVERY,
                            Type.INT,
                            20,
                            ConfigDef.Range.atLeast(0),
                            Importance.MEDIUM,
                            "One matured example in this many (by transaction id) goes to the"
                                    + " holdout instead of the learners; 0 keeps no holdout and"
                                    + " turns the champion/challenger gate off.")
                    .define(
                            HOLDOUT_SIZE,
                            Type.INT,
                            2_000,
                            ConfigDef.Range.between(100, 1_000_000),
                            Importance.LOW,
                            "The most recent holdout examples kept (in the publisher's"
                                    + " checkpointed state) and scored on for each release.")
                    .define(
                            AUC_MARGIN,
                            Type.DOUBLE,
                            0.02,
                            ConfigDef.Range.between(0, 1),
                            Importance.MEDIUM,
                            "A release whose AUC is worse than the last promotable one's by more is"
                                    + " published not for promotion.")
                    .define(
                            MATURITY_MS,
                            Type.LONG,
                            Duration.ofDays(30).toMillis(),
                            ConfigDef.Range.atLeast(1),
                            Importance.HIGH,
                            "How long after a transaction its fraud label may arrive.")
                    .define(
                            RETENTION_MS,
                            Type.LONG,
                            -1L,
                            Importance.LOW,
                            "How long a labelled transaction is remembered to tell a label"
                                    + " delivered again; -1 means the maturity period.")
                    .define(
                            OUT_OF_ORDERNESS_MS,
                            Type.LONG,
                            5_000L,
                            ConfigDef.Range.atLeast(0),
                            Importance.MEDIUM,
                            "Bounded out-of-orderness of the event-time watermarks.")
                    .define(
                            IDLENESS_MS,
                            Type.LONG,
                            30_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "A source partition without records for this long stops holding the"
                                    + " watermark back.")
                    .define(
                            SPEC_ID,
                            Type.STRING,
                            "payments",
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Feature spec id trained on.")
                    .define(
                            SPEC_VERSION,
                            Type.INT,
                            1,
                            ConfigDef.Range.atLeast(1),
                            Importance.HIGH,
                            "Feature spec version trained on.")
                    .define(
                            SPEC_FINGERPRINT,
                            Type.STRING,
                            ConfigDef.NO_DEFAULT_VALUE,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "Fingerprint of the spec; vectors of another are dead-lettered.")
                    .define(
                            INPUT_WIDTH,
                            Type.INT,
                            ConfigDef.NO_DEFAULT_VALUE,
                            ConfigDef.Range.atLeast(1),
                            Importance.HIGH,
                            "Values per vector in that spec.")
                    .define(
                            GROUP_ID,
                            Type.STRING,
                            "tideline-training",
                            new ConfigDef.NonEmptyString(),
                            Importance.MEDIUM,
                            "Prefix of the job's consumer groups and transactional ids.")
                    .define(
                            CHECKPOINT_INTERVAL_MS,
                            Type.LONG,
                            10_000L,
                            ConfigDef.Range.atLeast(100),
                            Importance.HIGH,
                            "Exactly-once checkpoint interval; releases become visible on"
                                    + " checkpoints.")
                    .define(
                            CHECKPOINT_DIR,
                            Type.STRING,
                            "",
                            Importance.MEDIUM,
                            "Where checkpoints go (a URI such as file:///var/lib/tideline or"
                                    + " s3://...); empty keeps them in the JobManager (local runs"
                                    + " only).")
                    .define(
                            RESUME_FROM,
                            Type.STRING,
                            "latest",
                            new ConfigDef.NonEmptyString(),
                            Importance.MEDIUM,
                            "Where a starting job takes its state from: latest (the newest"
                                    + " retained checkpoint in a local checkpoint-dir, if any),"
                                    + " none, or the path of a checkpoint or savepoint. On a"
                                    + " cluster, flink run -s does the same.")
                    .define(
                            STATE_BACKEND,
                            Type.STRING,
                            "rocksdb",
                            ConfigDef.ValidString.in("rocksdb", "hashmap"),
                            Importance.MEDIUM,
                            "rocksdb or hashmap (heap).")
                    .define(
                            TRANSACTION_TIMEOUT_MS,
                            Type.LONG,
                            600_000L,
                            ConfigDef.Range.between(1_000, 900_000),
                            Importance.MEDIUM,
                            "Kafka transaction timeout of the exactly-once sinks; at most the"
                                + " brokers' transaction.max.timeout.ms (15 minutes by default).")
                    .define(
                            RESTART_ATTEMPTS,
                            Type.INT,
                            10,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Restarts from the last checkpoint before the job fails.")
                    .define(
                            RESTART_DELAY_MS,
                            Type.LONG,
                            2_000L,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Pause before a restart.")
                    .define(
                            SIGNING_KEY,
                            Type.STRING,
                            "",
                            Importance.MEDIUM,
                            "Ed25519 private key (PKCS#8 PEM file, readable on every TaskManager)"
                                    + " that signs each release; empty publishes unsigned"
                                    + " releases.")
                    .define(
                            SIGNING_KEY_ID,
                            Type.STRING,
                            "tideline",
                            new ConfigDef.NonEmptyString(),
                            Importance.MEDIUM,
                            "The id serving knows the signing key's public half by.");

    public TrainingConfig(Map<String, String> values) {
        super(DEFINITION, P, values);
        String key = getString(SIGNING_KEY);
        if (!key.isBlank()) {
            try {
                ReleaseSignature.privateKey(Path.of(key));
            } catch (RuntimeException e) {
                throw new ConfigException(SIGNING_KEY, key, e.getMessage());
            }
        }
    }

    public TrainingSettings training() {
        return new TrainingSettings(
                getString(MODEL),
                getString(KIND).equals("mlp") ? ModelKind.MLP : ModelKind.LOGISTIC_REGRESSION,
                getInt(INPUT_WIDTH),
                getInt(HIDDEN),
                getLong(SEED),
                optimizer(),
                learningRate(),
                getDouble(L2).floatValue(),
                getInt(BATCH_SIZE),
                getInt(UPDATE_EVERY),
                Duration.ofMillis(getLong(FLUSH_AFTER_MS)),
                getInt(PARALLELISM),
                Duration.ofMillis(getLong(ROUND_TIMEOUT_MS)),
                getInt(MAX_STALENESS),
                getInt(RELEASE_EVERY_ROUNDS),
                Duration.ofMillis(getLong(RELEASE_EVERY_MS)),
                getDouble(SERVER_LEARNING_RATE),
                getDouble(POSITIVE_WEIGHT).floatValue());
    }

    public Optimizer.Kind optimizer() {
        return Optimizer.Kind.valueOf(getString(OPTIMIZER).toUpperCase(Locale.ROOT));
    }

    /** The configured learning rate, or the optimiser's default. */
    public float learningRate() {
        Double rate = getDouble(LEARNING_RATE);
        return rate == null ? optimizer().defaultLearningRate : rate.floatValue();
    }

    public SpecIdentity spec() {
        return new SpecIdentity(
                getString(SPEC_ID), getInt(SPEC_VERSION), getString(SPEC_FINGERPRINT));
    }

    public LabelJoin.Positives positives() {
        return getString(POSITIVES).equals("at-maturity")
                ? LabelJoin.Positives.AT_MATURITY
                : LabelJoin.Positives.AT_LABEL;
    }

    public Duration maturity() {
        return Duration.ofMillis(getLong(MATURITY_MS));
    }

    public Duration retention() {
        long r = getLong(RETENTION_MS);
        return r < 0 ? maturity() : Duration.ofMillis(r);
    }
}
