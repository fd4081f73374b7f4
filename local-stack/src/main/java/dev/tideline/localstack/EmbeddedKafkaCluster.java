package dev.tideline.localstack;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.network.ListenerName;
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

    /** The secured cluster's listener for clients: SASL_SSL, SCRAM-SHA-512. */
    static final String CLIENT_LISTENER = "EXTERNAL";

    /**
     * The secured cluster's listener for replication and the operator: SSL, client certificates.
     */
    static final String INTERNAL_LISTENER = "INTERNAL";

    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final KafkaClusterTestKit cluster;
    private final int brokerCount;
    private final KafkaTls tls;

    private EmbeddedKafkaCluster(KafkaClusterTestKit cluster, int brokerCount, KafkaTls tls) {
        this.cluster = cluster;
        this.brokerCount = brokerCount;
        this.tls = tls;
    }

    /**
     * Formats and starts a cluster. One broker runs combined with the controller; more brokers run
     * beside {@code controllers} dedicated controllers. Internal topics are replicated {@code
     * min(3, brokers)} times with {@code min.insync.replicas = min(2, brokers)}.
     */
    static EmbeddedKafkaCluster start(
            int brokers, int controllers, Path baseDir, Map<String, String> brokerOverrides)
            throws Exception {
        return start(brokers, controllers, baseDir, brokerOverrides, null);
    }

    /**
     * Formats and starts a cluster; with {@code tls}, a secured single node (see {@link
     * #securedConfig}).
     */
    static EmbeddedKafkaCluster start(
            int brokers,
            int controllers,
            Path baseDir,
            Map<String, String> brokerOverrides,
            KafkaTls tls)
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
        Map<String, String> config = brokerDefaults(brokers);
        if (tls != null) {
            if (!combined) {
                throw new IllegalArgumentException(
                        "a secured embedded cluster runs as one combined node, got brokers="
                                + brokers
                                + " controllers="
                                + controllers);
            }
            config.putAll(securedConfig(tls));
        }
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
        return new EmbeddedKafkaCluster(kit, brokers, tls);
    }

    /**
     * A secured node's settings. Clients connect to {@link #CLIENT_LISTENER} with TLS and
     * SCRAM-SHA-512; the node replicates to itself, reaches its controller and lets the operator in
     * over TLS with client certificates, on listeners of their own. The authorizer denies what no
     * ACL allows; the certificate's common name is the super user.
     */
    static Map<String, String> securedConfig(KafkaTls tls) {
        Map<String, String> c = new TreeMap<>();
        c.put(
                "listener.security.protocol.map",
                CLIENT_LISTENER
                        + ":SASL_SSL,"
                        + INTERNAL_LISTENER
                        + ":SSL,"
                        + CONTROLLER_LISTENER
                        + ":SSL");
        // The client and controller listeners get the test kit's pre-bound ports (by name); the
        // internal listener binds a free one.
        c.put(
                "listeners",
                CLIENT_LISTENER
                        + "://localhost:0,"
                        + INTERNAL_LISTENER
                        + "://localhost:0,"
                        + CONTROLLER_LISTENER
                        + "://localhost:0");
        c.put("inter.broker.listener.name", INTERNAL_LISTENER);
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.keystore.location", tls.keystore().toString());
        c.put("ssl.keystore.password", tls.keystorePassword());
        c.put("ssl.truststore.type", "PKCS12");
        c.put("ssl.truststore.location", tls.truststore().toString());
        c.put("ssl.truststore.password", tls.truststorePassword());
        c.put("listener.name.internal.ssl.client.auth", "required");
        c.put("listener.name.controller.ssl.client.auth", "required");
        c.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+).*$/$1/,DEFAULT");
        c.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        c.put(
                "listener.name.external.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        c.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        c.put("allow.everyone.if.no.acl.found", "false");
        c.put("super.users", "User:" + tls.superUser());
        return c;
    }

    /**
     * Client settings of the super user over TLS with the node's own certificate, on the internal
     * listener: how an operator creates users, ACLs and topics on a secured cluster.
     *
     * @throws IllegalStateException when the cluster is not secured
     */
    public Map<String, Object> operatorClient() {
        if (tls == null) {
            throw new IllegalStateException("the cluster is not secured: any client may connect");
        }
        StringBuilder servers = new StringBuilder();
        for (var broker : new TreeMap<>(cluster.brokers()).values()) {
            if (!servers.isEmpty()) {
                servers.append(',');
            }
            servers.append("localhost:")
                    .append(broker.boundPort(new ListenerName(INTERNAL_LISTENER)));
        }
        Map<String, Object> c = new TreeMap<>();
        c.put("bootstrap.servers", servers.toString());
        c.put("security.protocol", "SSL");
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.keystore.location", tls.keystore().toString());
        c.put("ssl.keystore.password", tls.keystorePassword());
        c.put("ssl.truststore.type", "PKCS12");
        c.put("ssl.truststore.location", tls.truststore().toString());
        c.put("ssl.truststore.password", tls.truststorePassword());
        return c;
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

    /**
     * The broker settings every Tideline test cluster shares, for {@code brokers} nodes:
     * replication 3 and {@code min.insync.replicas} 2 (or as many as there are nodes), no topic
     * auto-creation, groups that form at once, and records up to 16 MiB.
     */
    static Map<String, String> brokerDefaults(int brokers) {
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
        return config;
    }
}
