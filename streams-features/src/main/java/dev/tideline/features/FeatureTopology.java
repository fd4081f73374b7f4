package dev.tideline.features;

import dev.tideline.features.MerchantRouting.Fraud;
import dev.tideline.features.MerchantRouting.MerchantInput;
import dev.tideline.features.MerchantRouting.Vector;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.Transaction;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The feature topology: transactions and account rows in, one feature vector per transaction out.
 */
public final class FeatureTopology {

    public static final String ENTITY_STORE = "feature-entity-state";
    public static final String CLOCK_STORE = "feature-partition-clock";
    public static final String ACCOUNT_STORE = "feature-accounts";
    public static final String MERCHANT_STORE = "feature-merchant-state";

    /** Entities by the bucket of their latest event time: what eviction reads, see ExpiryIndex. */
    public static final String ENTITY_EXPIRY_STORE = "feature-entity-expiry";

    /**
     * The internal topic that takes transactions to their entity's owner: {@link #internalTopic}.
     */
    static final String TRANSACTIONS_BY_ENTITY = "transactions-by-entity";

    private static final String HERE = "here";
    private static final String ELSEWHERE = "elsewhere";

    private FeatureTopology() {}

    /** Kafka Streams' name of an internal repartition topic: {@code <app>-<name>-repartition}. */
    static String internalTopic(String applicationId, String name) {
        return applicationId + "-" + name + "-repartition";
    }

    /** Settings of the topology itself, as opposed to the Streams client's. */
    /**
     * @param entityTtl how long an entity's history is kept after its latest event
     * @param maxFutureSkew how far ahead of {@code clock} an event time may be; later ones are
     *     dead-lettered as {@code future-event-time}
     * @param clock the wall clock event times are judged against (a fixed one in tests)
     * @param maxVectorBytes the largest vector the output topic and the producer take: a larger one
     *     is dead-lettered as {@code record-too-large} before it is sent (a refused send would fail
     *     the task's transaction, and the task would meet the record again on restart)
     */
    public record Options(
            double maxAmount,
            Duration evictionInterval,
            Duration entityTtl,
            Duration maxFutureSkew,
            Clock clock,
            int maxVectorBytes) {

        /** These options with the largest vector the output topic takes. */
        public Options withMaxVectorBytes(int bytes) {
            return new Options(maxAmount, evictionInterval, entityTtl, maxFutureSkew, clock, bytes);
        }
    }

    /**
     * Builds the topology; {@code config} carries the Streams settings that shape it (topology
     * optimization).
     *
     * <pre>
     * payments.transactions.v1 ──► arrival ──┬─ on its owner's partition ─────────────────┐
     *  (feature-partition-clock: late, future) └─ elsewhere ──► transactions-by-entity ──┤
     * cdc.accounts ──► table (feature-accounts) ───────────────────────────────────────────┤
     *                                         features.v1 ◄── features (feature-entity-state)
     * </pre>
     */
    public static Topology build(
            StreamsBuilder builder,
            TopicCatalog topics,
            FeatureSpec spec,
            Options options,
            FeatureMetrics metrics,
            Properties config) {
        Topic<String, Transaction> transactions = topics.transactions();
        Topic<String, Account> accounts = topics.accounts();
        Topic<String, FeatureVector> features = topics.features();

        builder.table(
                accounts.name(),
                Consumed.with(accounts.keySerde(), accounts.valueSerde())
                        .withName("accounts-source"),
                Materialized.<String, Account, KeyValueStore<Bytes, byte[]>>as(ACCOUNT_STORE)
                        .withKeySerde(accounts.keySerde())
                        .withValueSerde(accounts.valueSerde()));
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(ENTITY_STORE),
                                Serdes.String(),
                                Serdes.ByteArray())
                        // Uncached: an entity's state goes to RocksDB and its changelog as its
                        // event is processed. Entities outnumber an interval's events, so a cache
                        // merged almost no writes and held them all for the commit, which then
                        // waited for them (README, Latency). Merchants are few: theirs is cached.
                        .withCachingDisabled());
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(ENTITY_EXPIRY_STORE),
                                Serdes.Bytes(),
                                Serdes.ByteArray())
                        .withCachingEnabled());
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(CLOCK_STORE),
                                Serdes.Integer(),
                                Serdes.Long())
                        .withCachingEnabled());

        TransactionValidator validator =
                new TransactionValidator(
                        options.maxAmount(),
                        options.maxFutureSkew(),
                        options.clock(),
                        spec.money());
        int partitions = transactions.partitions();
        Map<String, KStream<String, Arrival>> arrived =
                builder.stream(
                                transactions.name(),
                                Consumed.with(transactions.keySerde(), transactions.valueSerde())
                                        .withTimestampExtractor(new EventTimeExtractor(validator))
                                        .withName("transactions-source"))
                        .process(
                                () ->
                                        new ArrivalProcessor(
                                                validator, metrics, partitions, spec.grace()),
                                Named.as("arrival"),
                                CLOCK_STORE)
                        .split(Named.as("arrived-"))
                        .branch((entity, a) -> a.elsewhere(), Branched.as(ELSEWHERE))
                        .defaultBranch(Branched.as(HERE));
        // Transactions a producer put on another partition than their entity's owner (another
        // partitioner than the Java client's) take one trip through an internal topic, in the
        // contract's wire format; the others pay nothing for it.
        KStream<String, Arrival> moved =
                arrived.get("arrived-" + ELSEWHERE)
                        .mapValues(Arrival::transaction, Named.as("transaction"))
                        .repartition(
                                Repartitioned.<String, Transaction>as(TRANSACTIONS_BY_ENTITY)
                                        .withKeySerde(transactions.keySerde())
                                        .withValueSerde(MerchantRouting.under(transactions))
                                        .withNumberOfPartitions(partitions))
                        .mapValues(
                                (entity, tx) ->
                                        new Arrival(
                                                validator.validate(entity, tx),
                                                tx,
                                                true,
                                                Arrival.UNKNOWN),
                                Named.as("moved"));
        KStream<String, FeatureVector> vectors =
                arrived.get("arrived-" + HERE)
                        .merge(moved, Named.as("at-owner"))
                        .process(
                                () ->
                                        new FeatureProcessor(
                                                // One per task: a computer keeps scratch buffers.
                                                new FeatureComputer(spec),
                                                metrics,
                                                options.evictionInterval(),
                                                options.entityTtl(),
                                                options.maxVectorBytes()),
                                Named.as("features"),
                                ENTITY_STORE,
                                ENTITY_EXPIRY_STORE,
                                CLOCK_STORE,
                                ACCOUNT_STORE);
        if (spec.hasMerchantFeatures()) {
            vectors = merchantFeatures(builder, topics, spec, options, metrics, vectors);
        }
        vectors.to(
                features.name(),
                Produced.with(features.keySerde(), features.valueSerde())
                        .withName("features-sink"));
        return builder.build(config);
    }

    /**
     * Vectors, their entity features in, through their merchant: keyed by merchant and joined there
     * by the fraud labels that name a merchant (in report-time order), they leave with their
     * merchant features, keyed by entity again, for the output topic. One internal hop: the entity
     * features are computed where the payments arrive, in the order they were written.
     */
    private static KStream<String, FeatureVector> merchantFeatures(
            StreamsBuilder builder,
            TopicCatalog topics,
            FeatureSpec spec,
            Options options,
            FeatureMetrics metrics,
            KStream<String, FeatureVector> vectors) {
        int partitions = topics.transactions().partitions();
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(MERCHANT_STORE),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withCachingEnabled());
        KStream<String, MerchantInput> byMerchant =
                vectors.selectKey((entity, v) -> v.getMerchantId(), Named.as("key-by-merchant"))
                        .repartition(
                                Repartitioned.<String, FeatureVector>as(
                                                MerchantRouting.VECTORS_BY_MERCHANT)
                                        .withKeySerde(Serdes.String())
                                        .withValueSerde(MerchantRouting.under(topics.features()))
                                        .withNumberOfPartitions(partitions))
                        .mapValues(Vector::new, Named.as("vector"));
        Topic<String, Label> labels = topics.labels();
        KStream<String, MerchantInput> frauds =
                builder.stream(
                                labels.name(),
                                Consumed.with(labels.keySerde(), labels.valueSerde())
                                        .withTimestampExtractor(new ReportTimeExtractor())
                                        .withName("labels-source"))
                        .filter(
                                (txn, l) ->
                                        l != null
                                                && l.getIsFraud()
                                                && l.getMerchantId() != null
                                                && !l.getMerchantId().isBlank(),
                                Named.as("frauds-with-merchant"))
                        .selectKey((txn, l) -> l.getMerchantId(), Named.as("key-fraud-by-merchant"))
                        .repartition(
                                Repartitioned.<String, Label>as(MerchantRouting.FRAUDS_BY_MERCHANT)
                                        .withKeySerde(Serdes.String())
                                        .withValueSerde(MerchantRouting.under(labels))
                                        .withNumberOfPartitions(partitions))
                        .mapValues(Fraud::new, Named.as("fraud"));
        return byMerchant
                .merge(frauds, Named.as("vectors-and-frauds"))
                .process(
                        () ->
                                new MerchantProcessor(
                                        new MerchantComputer(spec),
                                        metrics,
                                        options.evictionInterval()),
                        Named.as("merchant-features"),
                        MERCHANT_STORE);
    }

    /** Orders fraud labels by the time they were reported. */
    static final class ReportTimeExtractor implements TimestampExtractor {
        @Override
        public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
            if (record.value() instanceof Label l
                    && l.getReportedAt() != null
                    && l.getReportedAt().toEpochMilli() > 0) {
                return l.getReportedAt().toEpochMilli();
            }
            return Math.max(0, record.timestamp());
        }
    }

    /**
     * Orders a task's records by the transaction's own event time, so that an account row captured
     * before a payment is joined to it. Records without a usable event time keep their Kafka
     * timestamp (a negative one would make Streams skip them silently); the processor dead-letters
     * them.
     */
    static final class EventTimeExtractor implements TimestampExtractor {
        private final TransactionValidator validator;

        EventTimeExtractor(TransactionValidator validator) {
            this.validator = validator;
        }

        @Override
        public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
            if (record.value() instanceof Transaction tx
                    && tx.getEventTime() != null
                    && tx.getEventTime().toEpochMilli() > 0
                    // A time from the future would advance the task's stream time: the record
                    // keeps its Kafka timestamp, and the processor dead-letters it.
                    && !validator.inTheFuture(tx.getEventTime().toEpochMilli())) {
                return tx.getEventTime().toEpochMilli();
            }
            return Math.max(0, record.timestamp());
        }
    }
}
