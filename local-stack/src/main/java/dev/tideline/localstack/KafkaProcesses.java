package dev.tideline.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of combined broker-controller nodes, each in a JVM of its own, so that a test can
 * kill one with SIGKILL, pause it with SIGSTOP, and start it again on its own data: what Kafka's
 * system tests do to brokers, and what {@code tideline chaos} runs on. Topics get replication 3 and
 * {@code min.insync.replicas} 2 by default; a replica paused for {@link #REPLICA_LAG} leaves the
 * ISR.
 */
public final class KafkaProcesses implements AutoCloseable {

    /** How long a follower may lag before it leaves the ISR. */
    public static final Duration REPLICA_LAG = Duration.ofSeconds(8);

    private final Path dir;
    private final int[] clientPorts;
    private final Process[] nodes;

    private KafkaProcesses(Path dir, int[] clientPorts) {
        this.dir = dir;
        this.clientPorts = clientPorts;
        this.nodes = new Process[clientPorts.length];
    }

    /** Formats and starts {@code count} nodes under {@code dir}; returns once all are brokers. */
    public static KafkaProcesses start(int count, Path dir) throws Exception {
        int[] client = new int[count];
        int[] controller = new int[count];
        for (int i = 0; i < count; i++) {
            client[i] = RegistryServer.freePort();
            controller[i] = RegistryServer.freePort();
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                voters.append(',');
            }
            voters.append(i + 1).append("@localhost:").append(controller[i]);
        }
        String clusterId = Uuid.randomUuid().toString();
        KafkaProcesses cluster = new KafkaProcesses(Files.createDirectories(dir), client);
        List<Path> configs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            configs.add(cluster.writeConfig(i, controller[i], voters.toString(), count));
        }
        for (int i = 0; i < count; i++) {
            cluster.format(i, clusterId, configs.get(i));
        }
        try {
            for (int i = 0; i < count; i++) {
                cluster.startNode(i);
            }
            cluster.awaitBrokers(count, Duration.ofMinutes(2));
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Formats node {@code i}'s storage; idempotent, so a failed attempt is tried once more. */
    private void format(int i, String clusterId, Path config) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Process f =
                    JvmProcess.start(
                            "kafka.tools.StorageTool",
                            List.of(
                                    "format",
                                    "-t",
                                    clusterId,
                                    "-c",
                                    config.toString(),
                                    "--ignore-formatted"),
                            "256m",
                            log(i),
                            List.of());
            if (f.waitFor(2, TimeUnit.MINUTES) && f.exitValue() == 0) {
                return;
            }
            f.destroyForcibly();
            if (attempt == 2) {
                throw new IllegalStateException(
                        "formatting node " + (i + 1) + " failed:\n" + tail(i, 30));
            }
        }
    }

    private Path writeConfig(int i, int controllerPort, String voters, int count)
            throws IOException {
        Map<String, String> c = new TreeMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", String.valueOf(i + 1));
        c.put("controller.quorum.voters", voters);
        c.put(
                "listeners",
                "PLAINTEXT://localhost:"
                        + clientPorts[i]
                        + ",CONTROLLER://localhost:"
                        + controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPorts[i]);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        c.put("log.dirs", dir.resolve("node-" + (i + 1)).toString());
        c.putAll(EmbeddedKafkaCluster.brokerDefaults(count));
        c.put("replica.lag.time.max.ms", String.valueOf(REPLICA_LAG.toMillis()));
        // A killed node's partitions move within seconds, not the production 9 s + 18 s.
        c.put("broker.session.timeout.ms", "6000");
        c.put("broker.heartbeat.interval.ms", "1000");
        c.put("log.cleaner.dedupe.buffer.size", "2097152");
        Properties props = new Properties();
        props.putAll(c);
        Path file = dir.resolve("node-" + (i + 1) + ".properties");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(out, "tideline chaos node " + (i + 1));
        }
        return file;
    }

    private Path log(int i) {
        return dir.resolve("node-" + (i + 1) + ".log");
    }

    private void startNode(int i) throws IOException {
        nodes[i] =
                JvmProcess.start(
                        "kafka.Kafka",
                        List.of(dir.resolve("node-" + (i + 1) + ".properties").toString()),
                        "512m",
                        log(i),
                        List.of());
    }

    /** {@code localhost:port,...} of every node. */
    public String bootstrapServers() {
        StringBuilder b = new StringBuilder();
        for (int port : clientPorts) {
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append("localhost:").append(port);
        }
        return b.toString();
    }

    /** SIGKILL of node {@code i} (0-based); returns once the process is gone. */
    public void kill(int i) throws InterruptedException {
        JvmProcess.kill(nodes[i]);
    }

    /** Starts node {@code i} again on its data and waits until every node is a broker again. */
    public void restart(int i) throws Exception {
        if (nodes[i].isAlive()) {
            throw new IllegalStateException("node " + (i + 1) + " is running");
        }
        startNode(i);
        awaitBrokers(nodes.length, Duration.ofMinutes(2));
    }

    /** The number of nodes. */
    public int size() {
        return nodes.length;
    }

    /** SIGKILL of every node at once; returns once they are gone. */
    public void killAll() throws InterruptedException {
        for (Process p : nodes) {
            p.destroyForcibly();
        }
        for (int i = 0; i < nodes.length; i++) {
            kill(i);
        }
    }

    /** Starts every node that is not running again and waits until all are brokers. */
    public void restartAll() throws Exception {
        for (int i = 0; i < nodes.length; i++) {
            if (!nodes[i].isAlive()) {
                startNode(i);
            }
        }
        awaitBrokers(nodes.length, Duration.ofMinutes(2));
    }

    /** SIGSTOP of node {@code i}: it holds its sockets and answers nothing. */
    public void pause(int i) throws Exception {
        signal(i, "STOP");
    }

    /** SIGCONT of node {@code i}. */
    public void resume(int i) throws Exception {
        signal(i, "CONT");
    }

    private void signal(int i, String signal) throws Exception {
        JvmProcess.signal(nodes[i], signal);
    }

    /** Waits until {@code count} brokers are registered and answering. */
    public void awaitBrokers(int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrapServers(),
                                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                                5_000,
                                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                                5_000))) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            count + " brokers not up after " + timeout + "; logs in " + dir);
                }
                TimeUnit.MILLISECONDS.sleep(250); // polling the cluster's metadata
            }
        }
    }

    @Override
    public void close() {
        for (Process p : nodes) {
            if (p != null) {
                p.destroyForcibly();
            }
        }
        for (Process p : nodes) {
            if (p != null) {
                try {
                    p.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** A node's log, for a failure message. */
    public String tail(int i, int lines) {
        try {
            List<String> all = Files.readAllLines(log(i));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
