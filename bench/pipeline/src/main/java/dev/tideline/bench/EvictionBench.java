package dev.tideline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureMetrics;
import dev.tideline.features.FeatureSpec;
import dev.tideline.features.FeatureTopology;
import dev.tideline.features.StateLayout;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.Transaction;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench eviction}: the stall an eviction run puts on a stream thread whose store
 * holds many entities. The feature topology runs in Kafka Streams' {@link TopologyTestDriver} (one
 * task, RocksDB stores, the registry's Avro serdes), so a punctuation can be started and timed on
 * its own. The entities' latest events are spread evenly over the TTL and one more bucket, so the
 * first run finds one bucket's worth expired; later runs find none. Beside it, in the same run, a
 * full read of the store, which is what an eviction that scans the store costs every interval.
 * Prints one JSON line last.
 */
@Command(
        name = "eviction",
        mixinStandardHelpOptions = true,
        description =
                "The stall of an eviction run over a store of many entities, beside a full scan of"
                        + " that store; prints one JSON line last.")
final class EvictionBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(EvictionBench.class);
    private static final String APPLICATION_ID = "bench-eviction";
    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    @Option(
            names = "--entities",
            description = "Entities in the store (default: ${DEFAULT-VALUE}).")
    int entities = 1_000_000;

    @Option(
            names = "--entity-ttl",
            description = "tideline.features.entity-ttl (default: ${DEFAULT-VALUE}).")
    Duration ttl = Duration.ofDays(90);

    @Option(
            names = "--runs",
            description =
                    "Timed runs with nothing to evict, and full scans (default: ${DEFAULT-VALUE}).")
    int runs = 5;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("tideline-bench-eviction");
        try (LocalStack stack =
                LocalStack.builder().withoutPostgres().workDir(work.resolve("stack")).start()) {
            Map<String, String> values = new HashMap<>();
            values.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
            values.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
            values.put(TopicCatalogConfig.PREFIX, "bench-eviction.");
            values.put(FeatureConfig.APPLICATION_ID, APPLICATION_ID);
            values.put(FeatureConfig.STATE_DIR, work.resolve("state").toString());
            values.put(FeatureConfig.ENTITY_TTL, ttl.toString());
            FeatureConfig config = new FeatureConfig(values);
            // The entity side alone: eviction of the entity store is what is measured.
            FeatureSpec featureSpec =
                    FeatureSpec.builtin(FeatureSpec.DEFAULT).withoutMerchantFeatures();
            TopicCatalog catalog =
                    ClientSettings.catalog(
                            values, ClientSettings.registry(stack.registryUrl(), values));
            FeatureMetrics metrics = FeatureMetrics.standalone();
            Properties props = FeatureApp.streamsProperties(config, catalog, metrics, -1);
            Duration interval = Duration.ofMinutes(1);
            FeatureTopology.Options options =
                    new FeatureTopology.Options(
                            1_000_000,
                            interval,
                            config.entityTtl(featureSpec),
                            Duration.ofMinutes(5),
                            Clock.fixed(NOW, ZoneOffset.UTC),
                            1 << 20);
            try (TopologyTestDriver driver =
                    new TopologyTestDriver(
                            FeatureTopology.build(
                                    new StreamsBuilder(),
                                    catalog,
                                    featureSpec,
                                    options,
                                    metrics,
                                    props),
                            props,
                            NOW)) {
                ObjectNode result = measure(driver, catalog, featureSpec, metrics, interval);
                out.println(new ObjectMapper().writeValueAsString(result));
                out.flush();
            }
        }
        return 0;
    }

    private ObjectNode measure(
            TopologyTestDriver driver,
            TopicCatalog catalog,
            FeatureSpec featureSpec,
            FeatureMetrics metrics,
            Duration interval) {
        TestInputTopic<String, Transaction> input =
                driver.createInputTopic(
                        catalog.transactions().name(),
                        new StringSerializer(),
                        catalog.transactions().valueSerde().serializer());
        TestOutputTopic<byte[], byte[]> vectors =
                driver.createOutputTopic(
                        catalog.features().name(),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        // The driver keeps what the topology writes, changelogs too, until it is read.
        List<TestOutputTopic<byte[], byte[]>> written = new ArrayList<>();
        written.add(vectors);
        for (String store :
                List.of(
                        FeatureTopology.ENTITY_STORE,
                        FeatureTopology.ENTITY_EXPIRY_STORE,
                        FeatureTopology.CLOCK_STORE)) {
            written.add(
                    driver.createOutputTopic(
                            APPLICATION_ID + "-" + store + "-changelog",
                            new ByteArrayDeserializer(),
                            new ByteArrayDeserializer()));
        }
        // Latest events spread evenly over the TTL and one bucket (a ninetieth of the TTL) more,
        // ending now, at midnight: the oldest bucket lies wholly before the horizon.
        long span = ttl.toMillis() + ttl.toMillis() / 90;
        long first = NOW.toEpochMilli() - span;
        long loadStart = System.nanoTime();
        for (int i = 0; i < entities; i++) {
            Instant at = Instant.ofEpochMilli(first + span * (i + 1) / entities);
            String entity = "e" + i;
            input.pipeInput(
                    entity,
                    Transaction.newBuilder()
                            .setTxnId("t" + i)
                            .setEntityId(entity)
                            .setMerchantId("m" + (i % 5_000))
                            .setAmountMinor(1_000 + i % 90_000)
                            .setCurrency("EUR")
                            .setCountry("DE")
                            .setChannel(Channel.CARD_PRESENT)
                            .setEventTime(at)
                            .build(),
                    at);
            if (i % 10_000 == 9_999) {
                written.forEach(TestOutputTopic::readRecordsToList);
                if (i % 100_000 == 99_999) {
                    log.info("Loaded {} entities", i + 1);
                }
            }
        }
        written.forEach(TestOutputTopic::readRecordsToList);
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;

        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(FeatureTopology.ENTITY_STORE);
        long horizon = NOW.toEpochMilli() - ttl.toMillis();
        double[] scans = new double[runs];
        long expired = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            expired = 0;
            try (KeyValueIterator<String, byte[]> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    if (StateLayout.latestEventTime(kv.value) < horizon) {
                        expired++;
                    }
                }
            }
            scans[r] = (System.nanoTime() - start) / 1e6;
        }

        long start = System.nanoTime();
        driver.advanceWallClockTime(interval);
        double evictWallMs = (System.nanoTime() - start) / 1e6;
        double evictRunMs = metrics.evictionMaxMs();
        double evicted = metrics.evictions();
        double[] idle = new double[runs];
        for (int r = 0; r < runs; r++) {
            start = System.nanoTime();
            driver.advanceWallClockTime(interval);
            idle[r] = (System.nanoTime() - start) / 1e6;
        }
        double scanMs = median(scans);
        double idleMs = median(idle);
        log.info(
                "{} entities loaded at {} events/s; {} expired; eviction run {} ms ({} ms with the"
                        + " commit after it), idle runs {} ms, full scan {} ms",
                entities,
                Math.round(entities / loadSeconds),
                expired,
                round(evictRunMs),
                round(evictWallMs),
                round(idleMs),
                round(scanMs));

        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("bench", "eviction");
        json.put("entities", entities);
        json.put("entity_ttl", ttl.toString());
        json.put("bytes_per_entity", new StateLayout(featureSpec).bytesPerEntity());
        json.put("expired", expired);
        json.put("evicted", (long) evicted);
        json.put("eviction_run_ms", round(evictRunMs));
        json.put("eviction_run_with_commit_ms", round(evictWallMs));
        json.put("idle_run_ms", round(idleMs));
        json.put("full_scan_ms", round(scanMs));
        json.put("full_scan_per_entity_ns", round(scanMs * 1e6 / entities));
        json.put("eviction_per_evicted_ns", evicted == 0 ? 0 : round(evictRunMs * 1e6 / evicted));
        json.put("load_events_per_s", Math.round(entities / loadSeconds));
        json.put("cpus", Runtime.getRuntime().availableProcessors());
        return json;
    }

    private static double median(double[] xs) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
