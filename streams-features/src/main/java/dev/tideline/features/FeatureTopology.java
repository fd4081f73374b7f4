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
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
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

    private FeatureTopology() {}

    /** Settings of the topology itself, as opposed to the Streams client's. */
    /**
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
            Duration maxFutureSkew,
            Clock clock,
            int maxVectorBytes) {

        /** These options with the largest vector the output topic takes. */
        public Options withMaxVectorBytes(int bytes) {
            return new Options(maxAmount, evictionInterval, maxFutureSkew, clock, bytes);
        }
    }

    /**
     * Builds the topology; {@code config} carries the Streams settings that shape it (topology
     * optimization).
     *
     * <pre>
     * cdc.accounts ──► table (feature-accounts) ─────────────┐
     * payments.transactions.v1 ──► features processor ◄───────┘ ──► features.v1
     *                               (feature-entity-state, feature-partition-clock)
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
                        // A busy entity's state reaches RocksDB and its changelog once per commit,
                        // not once per event.
                        .withCachingEnabled());
        builder.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(CLOCK_STORE),
                                Serdes.Integer(),
                                Serdes.Long())
                        .withCachingEnabled());

        TransactionValidator validator =
                new TransactionValidator(
                        options.maxAmount(), options.maxFutureSkew(), options.clock());
        KStream<String, FeatureVector> vectors =
                builder.stream(
                                transactions.name(),
                                Consumed.with(transactions.keySerde(), transactions.valueSerde())
                                        .withTimestampExtractor(new EventTimeExtractor(validator))
                                        .withName("transactions-source"))
                        .process(
                                () ->
                                        new FeatureProcessor(
                                                // One per task: a computer keeps scratch buffers.
                                                new FeatureComputer(spec),
                                                validator,
                                                metrics,
                                                options.evictionInterval(),
                                                options.maxVectorBytes()),
                                Named.as("features"),
                                ENTITY_STORE,
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
