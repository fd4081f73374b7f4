package dev.tideline.schemas;

import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.GlobalModel;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.ModelRevocation;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.schemas.registry.CompatibilityLevel;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.AvroSerde;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The pipeline's topics, typed: built once from configuration and shared by every stage.
 *
 * <p>Keyed topics share one partition count because they are co-partitioned by entity id. Compacted
 * topics ({@code cdc.accounts}, {@code models.v1}) keep the latest record per key.
 */
public final class TopicCatalog {

    public static final String TRANSACTIONS = "payments.transactions.v1";
    public static final String ACCOUNTS = "cdc.accounts";
    public static final String LABELS = "cdc.labels";
    public static final String FEATURES = "features.v1";
    public static final String TRAINING_SYNC = "training.sync.v1";
    public static final String MODELS = "models.v1";
    public static final String REVOCATIONS = "models.revocations.v1";
    public static final String PREDICTIONS = "predictions.v1";
    public static final String CDC_DLQ = "cdc.dlq";

    /** Suffix of a stage's dead-letter topic: {@code <input topic>.dlq}. */
    public static final String DLQ_SUFFIX = ".dlq";

    private final TopicCatalogConfig config;
    private final Topic<String, Transaction> transactions;
    private final Topic<String, Account> accounts;
    private final Topic<String, Label> labels;
    private final Topic<String, FeatureVector> features;
    private final Topic<String, GlobalModel> trainingSync;
    private final Topic<String, ModelRelease> models;
    private final Topic<String, ModelRevocation> revocations;
    private final Topic<String, Prediction> predictions;
    private final Map<String, Topic<byte[], byte[]>> deadLetters;

    private final SchemaRegistryClient registry;

    private TopicCatalog(TopicCatalogConfig config, SchemaRegistryClient registry) {
        this.registry = registry;
        this.config = config;
        int p = config.partitions();
        Map<String, String> compacted = withIsr(Map.of("cleanup.policy", "compact"));
        Map<String, String> plain = withIsr(Map.of());
        Map<String, String> modelSized = new HashMap<>(compacted);
        modelSized.put("max.message.bytes", String.valueOf(config.modelMaxBytes()));
        Map<String, String> syncSized = new HashMap<>(plain);
        syncSized.put("max.message.bytes", String.valueOf(config.modelMaxBytes()));

        transactions = avro(TRANSACTIONS, Transaction.class, p, plain, "entity_id", registry);
        accounts = avro(ACCOUNTS, Account.class, p, compacted, "account_id", registry);
        labels = avro(LABELS, Label.class, p, plain, "txn_id", registry);
        features = avro(FEATURES, FeatureVector.class, p, plain, "entity_id", registry);
        // One partition: each model name is one key, and releases must stay in order.
        trainingSync = avro(TRAINING_SYNC, GlobalModel.class, 1, syncSized, "model_name", registry);
        models = avro(MODELS, ModelRelease.class, 1, modelSized, "model_name", registry);
        revocations =
                avro(REVOCATIONS, ModelRevocation.class, 1, compacted, "model_name", registry);
        predictions = avro(PREDICTIONS, Prediction.class, p, plain, "entity_id", registry);

        Map<String, String> dlq = new HashMap<>(plain);
        dlq.put("retention.ms", String.valueOf(config.dlqRetentionMs()));
        Map<String, Topic<byte[], byte[]>> dlqs = new LinkedHashMap<>();
        for (String source : List.of(TRANSACTIONS, LABELS, FEATURES)) {
            Topic<byte[], byte[]> topic = raw(source + DLQ_SUFFIX, p, dlq);
            dlqs.put(topic.name(), topic);
        }
        Topic<byte[], byte[]> cdc = raw(CDC_DLQ, 1, dlq);
        dlqs.put(cdc.name(), cdc);
        deadLetters = Collections.unmodifiableMap(dlqs);
    }

    /** Builds the catalog; serdes of Avro topics share {@code registry}. */
    public static TopicCatalog create(TopicCatalogConfig config, SchemaRegistryClient registry) {
        return new TopicCatalog(config, registry);
    }

    /** The registry the catalog's serdes register with and resolve schema ids from. */
    public SchemaRegistryClient registry() {
        return registry;
    }

    public TopicCatalogConfig config() {
        return config;
    }

    /** {@value #TRANSACTIONS}: the input, keyed by entity id. */
    public Topic<String, Transaction> transactions() {
        return transactions;
    }

    /** {@value #ACCOUNTS}: latest account profiles from CDC, compacted. */
    public Topic<String, Account> accounts() {
        return accounts;
    }

    /** {@value #LABELS}: late fraud labels from CDC, keyed by transaction id. */
    public Topic<String, Label> labels() {
        return labels;
    }

    /** {@value #FEATURES}: one feature vector per input event. */
    public Topic<String, FeatureVector> features() {
        return features;
    }

    /** {@value #TRAINING_SYNC}: internal global-model sync of the training job. */
    public Topic<String, GlobalModel> trainingSync() {
        return trainingSync;
    }

    /**
     * {@value #REVOCATIONS}: releases no replica may serve, compacted, keyed by {@code
     * <model>/<version>} ({@link ModelRevocationKey}).
     */
    public Topic<String, ModelRevocation> revocations() {
        return revocations;
    }

    /** {@value #MODELS}: published models, compacted, keyed by model name. */
    public Topic<String, ModelRelease> models() {
        return models;
    }

    /** {@value #PREDICTIONS}: one prediction per feature vector. */
    public Topic<String, Prediction> predictions() {
        return predictions;
    }

    /** The dead-letter topic of a stage reading {@code source}: {@code <source>.dlq}. */
    public Topic<byte[], byte[]> deadLetter(Topic<?, ?> source) {
        Topic<byte[], byte[]> dlq = deadLetters.get(source.name() + DLQ_SUFFIX);
        if (dlq == null) {
            throw new IllegalArgumentException(
                    "no dead-letter topic is declared for " + source.name());
        }
        return dlq;
    }

    /** {@value #CDC_DLQ}: CDC rows that could not be mapped to a contract. */
    public Topic<byte[], byte[]> cdcDeadLetter() {
        return deadLetters.get(config.prefix() + CDC_DLQ);
    }

    /** The Avro topics, in data-flow order. */
    public List<Topic<String, ? extends SpecificRecord>> avroTopics() {
        return List.of(
                transactions,
                accounts,
                labels,
                features,
                trainingSync,
                models,
                revocations,
                predictions);
    }

    /** Every topic, dead-letter topics included. */
    public List<Topic<?, ?>> all() {
        List<Topic<?, ?>> all = new ArrayList<>(avroTopics());
        all.addAll(deadLetters.values());
        return all;
    }

    /** The topic with this full name (prefix included), if the catalog declares it. */
    public Optional<Topic<?, ?>> byName(String name) {
        return all().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The compatibility rule value subjects get at bootstrap. */
    public CompatibilityLevel compatibility() {
        return config.compatibility();
    }

    private Map<String, String> withIsr(Map<String, String> configs) {
        Map<String, String> result = new HashMap<>(configs);
        if (config.replicationFactor() >= 3) {
            result.put("min.insync.replicas", "2");
        }
        return result;
    }

    private <V extends SpecificRecord> Topic<String, V> avro(
            String base,
            Class<V> type,
            int partitions,
            Map<String, String> configs,
            String keyField,
            SchemaRegistryClient registry) {
        return new Topic<>(
                config.prefix() + base,
                Serdes.String(),
                AvroSerde.specific(type, registry, false),
                partitions,
                config.replicationFactor(),
                configs,
                SpecificData.get().getSchema(type),
                keyField);
    }

    private Topic<byte[], byte[]> raw(String base, int partitions, Map<String, String> configs) {
        return new Topic<>(
                config.prefix() + base,
                Serdes.ByteArray(),
                Serdes.ByteArray(),
                partitions,
                config.replicationFactor(),
                configs,
                null,
                null);
    }
}
