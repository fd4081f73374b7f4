package dev.tideline.bench;

import dev.tideline.features.FeatureSpec;
import dev.tideline.features.Window;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.Transaction;
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.WindowStore;

/**
 * What a Kafka Streams user would write for the spec's windowed count and sum without tiles: one
 * DSL hopping-window aggregation per window of the spec, of the same size and advancing by one tile
 * (so with the same resolution), keyed by entity, on event time, each result to an output topic.
 * {@code bench features} runs it beside the feature topology, on the same input and the same
 * exactly-once settings.
 */
final class DslWindows {

    private DslWindows() {}

    /**
     * The topology.
     *
     * @param seen counts each transaction once its aggregations have run
     */
    static Topology build(
            Topic<String, Transaction> transactions,
            FeatureSpec spec,
            String output,
            AtomicLong seen,
            Properties props) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, Transaction> source =
                builder.stream(
                        transactions.name(),
                        Consumed.with(transactions.keySerde(), transactions.valueSerde())
                                .withTimestampExtractor(eventTime()));
        KGroupedStream<String, Transaction> byEntity =
                source.groupByKey(Grouped.with(transactions.keySerde(), transactions.valueSerde()));
        for (Window w : spec.windows()) {
            TimeWindows windows =
                    TimeWindows.ofSizeAndGrace(w.size(), spec.grace())
                            .advanceBy(w.size().dividedBy(w.tiles()));
            byEntity.windowedBy(windows)
                    .aggregate(
                            () -> countAndSum(0, 0),
                            (entity, tx, agg) -> {
                                ByteBuffer b = ByteBuffer.wrap(agg);
                                return countAndSum(
                                        b.getLong(0) + 1, b.getLong(8) + tx.getAmountMinor());
                            },
                            Materialized.<String, byte[], WindowStore<Bytes, byte[]>>as(
                                            "dsl-" + w.name())
                                    .withKeySerde(transactions.keySerde())
                                    .withValueSerde(Serdes.ByteArray()))
                    .toStream()
                    .to(
                            output,
                            Produced.with(
                                    WindowedSerdes.timeWindowedSerdeFrom(
                                            String.class, w.size().toMillis()),
                                    Serdes.ByteArray()));
        }
        // After the aggregations: a source's children run in the order they were added.
        source.foreach((entity, tx) -> seen.incrementAndGet());
        return builder.build(props);
    }

    private static byte[] countAndSum(long count, long sum) {
        return ByteBuffer.allocate(16).putLong(count).putLong(sum).array();
    }

    private static TimestampExtractor eventTime() {
        return (record, partitionTime) ->
                record.value() instanceof Transaction tx
                        ? tx.getEventTime().toEpochMilli()
                        : partitionTime;
    }
}
