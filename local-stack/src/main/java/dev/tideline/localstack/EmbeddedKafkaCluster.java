package dev.tideline.localstack;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process KRaft Kafka cluster on loopback; the only class that touches Kafka's internal
 * test-kit API.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    private final KafkaClusterTestKit cluster;
    private final int brokerCount;

    private EmbeddedKafkaCluster(KafkaClusterTestKit cluster, int brokerCount) {
        this.cluster = cluster;
        this.brokerCount = brokerCount;
    }

    /**
     * Formats and starts a cluster. One broker runs combined with the controller; more brokers run
     * beside {@code controllers} dedicated controllers. Internal topics are replicated {@code
     * min(3, brokers)} times with {@code min.insync.replicas = min(2, brokers)}.
     */
    static EmbeddedKafkaCluster start(
            int brokers, int controllers, Path baseDir, Map<String, String> brokerOverrides)
            throws Exception {
        if (brokers < 1 || controllers < 1) {
            throw new IllegalArgumentException(
                    "a Kafka cluster needs at least one broker and one controller, got brokers="
                            + brokers
                            + " controllers="
                            + controllers);
        }
        boolean combined = brokers == 1 && controllers == 1;
        TestKitNodes nodes =
                new TestKitNodes.Builder()
                        .setCombined(combined)
                        .setNumBrokerNodes(brokers)
                        .setNumControllerNodes(controllers)
                        .setBaseDirectory(baseDir)
                        .build();
        int replication = Math.min(3, brokers);
        int minIsr = Math.min(2, brokers);
        Map<String, String> config = new TreeMap<>();
        config.put("offsets.topic.replication.factor", String.valueOf(replication));
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", String.valueOf(replication));
        config.put("transaction.state.log.min.isr", String.valueOf(minIsr));
        config.put("transaction.state.log.num.partitions", "5");
        config.put("share.coordinator.state.topic.replication.factor", String.valueOf(replication));
        config.put("share.coordinator.state.topic.min.isr", String.valueOf(minIsr));
        config.put("default.replication.factor", String.valueOf(replication));
        config.put("min.insync.replicas", String.valueOf(minIsr));
        // Topics are created by the catalog's bootstrap; a typo must not create a topic.
        config.put("auto.create.topics.enable", "false");
        // Consumer groups form at once instead of after the 3 s production default.
        config.put("group.initial.rebalance.delay.ms", "0");
        // ONNX models travel on models.v1; its topic config raises the per-topic limit.
        config.put("message.max.bytes", String.valueOf(16 * 1024 * 1024));
        config.put("replica.fetch.max.bytes", String.valueOf(16 * 1024 * 1024));
        config.putAll(brokerOverrides);

        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        config.forEach(builder::setConfigProp);
        KafkaClusterTestKit kit = builder.build();
        try {
            formatQuietly(kit);
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            kit.close();
            throw e;
        }
        return new EmbeddedKafkaCluster(kit, brokers);
    }

    /**
     * Formats the storage directories. Kafka's formatter prints to standard output, which the CLI
     * reserves for what scripts read, so its lines go to the log instead.
     */
    private static void formatQuietly(KafkaClusterTestKit kit) throws Exception {
        synchronized (System.class) {
            PrintStream stdout = System.out;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                kit.format();
            } finally {
                System.setOut(stdout);
                log.debug("kafka storage format: {}", captured.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** The bootstrap servers of the running brokers, {@code host:port,...}. */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Ids of the brokers, in order. */
    public List<Integer> brokerIds() {
        return new ArrayList<>(new TreeMap<>(cluster.brokers()).keySet());
    }

    public int brokerCount() {
        return brokerCount;
    }

    /** Stops one broker abruptly enough for fail-over tests and waits until it is down. */
    public void stopBroker(int brokerId) {
        var broker = cluster.brokers().get(brokerId);
        if (broker == null) {
            throw new IllegalArgumentException(
                    "no broker " + brokerId + "; brokers are " + brokerIds());
        }
        broker.shutdown();
        broker.awaitShutdown();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
