package dev.tideline.cli;

import dev.tideline.connectors.CdcApp;
import dev.tideline.connectors.CdcConfig;
import dev.tideline.connectors.CdcRunner;
import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureSpec;
import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingApp;
import dev.tideline.serving.ServingConfig;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.simulator.Target;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything on the embedded default, and the simulator driving it: the local stack with the
 * pipeline's topics, CDC on the stack's PostgreSQL, the feature stage, scoring replicas in this
 * JVM, and the training job in a JVM of its own (its Kafka clients differ). {@link #start} returns
 * once every part is up, or stops what it started and throws with the reason of the part that
 * failed; {@link #close} stops them all, the clients before the broker. {@code tideline demo} and
 * {@code tideline bench e2e} run on it.
 */
final class Demo implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Demo.class);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    /** The training process's /health and /metrics port (7073 unless set). */
    static final String TRAINING_HTTP_PORT = "tideline.training.http.port";

    private final List<AutoCloseable> parts = new ArrayList<>();
    private LocalStack stack;
    private TopicCatalog catalog;
    private Map<String, Object> client;
    private FeatureApp features;
    private final List<ServingApp> replicas = new ArrayList<>();
    private CdcApp cdc;
    private Process training;
    private int trainingPort;
    private Simulator simulator;
    private DemoMonitor monitor;
    private String jdbc;
    private final StringBuilder endpoints = new StringBuilder();
    private Path stateFile;

    private Demo() {}

    /**
     * Starts every part and waits until each is up.
     *
     * @param values the CLI's settings (engine keys and -D values)
     * @param replicas scoring replicas to run
     * @param maturity the label maturity of the training job, which suits the simulation's
     *     chargeback delays
     * @param stateFile where {@code produce} and {@code tail} find this stack; null for none
     */
    static Demo start(Map<String, String> values, int replicas, Duration maturity, Path stateFile)
            throws Exception {
        Demo demo = new Demo();
        try {
            demo.startParts(values, replicas, maturity, stateFile);
            demo.awaitReady();
            return demo;
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
    }

    private void startParts(
            Map<String, String> values, int replicaCount, Duration maturity, Path stateFile)
            throws Exception {
        stack = LocalStack.builder().configure(values).start();
        log.info("started {}", stack.describeStartup());
        if (!stack.hasPostgres()) {
            throw new IllegalStateException(
                    "the demo needs the local stack's PostgreSQL (its CDC source)");
        }
        jdbc = stack.jdbc().url();
        SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), values);
        TopicCatalogConfig topics = ClientSettings.catalogConfig(Map.of(), values);
        catalog = TopicCatalog.create(topics, registry);
        client = new HashMap<>(ClientSettings.kafkaClient(values));
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (Admin admin = Admin.create(client)) {
            TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
        }
        if (stateFile != null) {
            new StackState(
                            stack.bootstrapServers(),
                            stack.registryUrl(),
                            jdbc,
                            catalog.config().prefix(),
                            ProcessHandle.current().pid())
                    .write(stateFile);
            this.stateFile = stateFile;
        }

        Map<String, String> base = new HashMap<>(values);
        base.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        base.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        base.put(TopicCatalogConfig.PREFIX, catalog.config().prefix());

        Map<String, String> cdcSettings = only(base, "tideline.cdc.");
        cdcSettings.put(CdcConfig.JDBC_URL, jdbc);
        cdcSettings.put(CdcConfig.MIGRATE, "true");
        cdcSettings.putIfAbsent(
                CdcConfig.OFFSETS_FILE,
                stack.workDir().resolve("cdc").resolve("offsets.dat").toString());
        cdc = CdcApp.start(new CdcConfig(cdcSettings));
        parts.add(cdc);
        endpoint("cdc", cdc.httpPort());

        Map<String, String> featureSettings = only(base, "tideline.features.");
        featureSettings.putIfAbsent(
                FeatureConfig.STATE_DIR, stack.workDir().resolve("features").toString());
        features = FeatureApp.start(new FeatureConfig(featureSettings));
        parts.add(features);
        endpoint("features", features.httpPort());

        FeatureSpec spec = features.spec();
        for (int i = 0; i < replicaCount; i++) {
            Map<String, String> servingSettings = only(base, "tideline.serving.");
            servingSettings.putIfAbsent(ServingConfig.SPEC_FINGERPRINT, spec.fingerprint());
            servingSettings.putIfAbsent(ServingConfig.INPUT_WIDTH, String.valueOf(spec.size()));
            servingSettings.put(ServingConfig.INSTANCE_ID, "demo-" + i);
            servingSettings.putIfAbsent(
                    ServingConfig.STATE_DIR, stack.workDir().resolve("serving").toString());
            if (i > 0) {
                servingSettings.put(ServingConfig.HTTP_PORT, "0");
            }
            ServingApp replica = ServingApp.start(new ServingConfig(servingSettings));
            replicas.add(replica);
            parts.add(replica);
            endpoint(replicaCount == 1 ? "serving" : "serving-" + i, replica.httpPort());
        }

        Path jar = ModuleJvm.TRAINING.builtJar();
        if (jar == null) {
            throw new IllegalStateException(
                    "the training module is not built; build it with: mvn -q package -DskipTests"
                            + " -pl flink-training -am");
        }
        Map<String, String> trainingSettings = TrainingProcess.settings(base);
        trainingSettings.putIfAbsent(
                "tideline.training.maturity-ms", String.valueOf(maturity.toMillis()));
        // With merchant features, vectors reach features.v1 through their merchants' tasks, which
        // read a backlog (the history) at different paces: the vectors of a partition arrive out
        // of event-time order by up to minutes of history. Half the maturity of slack keeps the
        // join from closing a transaction before its vector comes.
        trainingSettings.putIfAbsent(
                "tideline.training.out-of-orderness-ms", String.valueOf(maturity.toMillis() / 2));
        // The demo trains from the head of the streams: holding positives until their maturity
        // keeps the first models from learning from a period of positives alone.
        trainingSettings.putIfAbsent("tideline.training.positives", "at-maturity");
        // AdaGrad settles where Adam follows the merchant features' drift, and positives at
        // maturity arrive mixed with the negatives of their time, where weighting them 10 times
        // helps: served AUC 0.975 against Adam's 0.939 (bench replay, README's Model quality).
        trainingSettings.putIfAbsent("tideline.training.optimizer", "adagrad");
        trainingSettings.putIfAbsent("tideline.training.positive-weight", "10");
        trainingSettings.putIfAbsent(
                "tideline.training.checkpoint-dir",
                stack.workDir().resolve("training-checkpoints").toUri().toString());
        trainingSettings.putIfAbsent(TRAINING_HTTP_PORT, "7073");
        trainingPort = Integer.parseInt(trainingSettings.get(TRAINING_HTTP_PORT).trim());
        if (trainingPort <= 0) {
            throw new IllegalArgumentException(
                    TRAINING_HTTP_PORT
                            + " must be a fixed port in the demo, which waits on its /health");
        }
        training =
                TrainingProcess.start(
                        jar, trainingSettings, stack.workDir().resolve("training.properties"));
        // The stack's reaper stops it if this JVM dies without closing the demo; the process
        // also watches this JVM itself.
        stack.reapWithStack(training);
        endpoint("training", trainingPort);
    }

    /** Waits until every part is up; throws naming the first that failed or did not come up. */
    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            List<String> waiting = new ArrayList<>();
            if (!training.isAlive()) {
                throw new IllegalStateException(
                        "the training process exited with code "
                                + training.exitValue()
                                + " before it was ready (its log is above)");
            }
            if (!healthy(http, trainingPort)) {
                waiting.add("training (http://localhost:" + trainingPort + "/health)");
            }
            KafkaStreams.State state = features.streams().state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("the feature stage stopped: " + state);
            }
            if (state != KafkaStreams.State.RUNNING) {
                waiting.add("features (" + state + ")");
            }
            if (cdc.runner().state() == CdcRunner.State.FAILED) {
                throw new IllegalStateException(
                        "CDC failed: " + cdc.runner().failure().getMessage(),
                        cdc.runner().failure());
            }
            if (cdc.runner().state() != CdcRunner.State.RUNNING) {
                waiting.add("cdc (" + cdc.runner().state() + ")");
            }
            for (int i = 0; i < replicas.size(); i++) {
                if (!replicas.get(i).ready()) {
                    waiting.add("serving replica " + i);
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "not ready after " + READY_TIMEOUT + ": " + String.join(", ", waiting));
            }
            TimeUnit.MILLISECONDS.sleep(250); // polling the parts' own readiness
        }
    }

    private static boolean healthy(HttpClient http, int port) {
        try {
            return http.send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            "http://localhost:" + port + "/health"))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the simulator and the monitor that grades what the pipeline makes of it. */
    void simulate(SimulationSettings settings, Duration live, Path groundTruth) {
        simulate(settings, live, groundTruth, true);
    }

    /**
     * Starts the simulator, and with {@code monitored} the monitor that grades what the pipeline
     * makes of it (a consumer of every topic the simulation feeds).
     */
    void simulate(SimulationSettings settings, Duration live, Path groundTruth, boolean monitored) {
        simulator =
                Simulator.start(
                        settings,
                        new Target(
                                client,
                                catalog,
                                jdbc,
                                stack.jdbc().user(),
                                stack.jdbc().password()),
                        live,
                        Duration.ofMinutes(2),
                        groundTruth);
        if (monitored) {
            monitor = new DemoMonitor(client, catalog, simulator).start();
        }
    }

    /** The READY line's addresses: {@code bootstrap=... registry=... jdbc=... features=...}. */
    String ready() {
        return "READY bootstrap="
                + stack.bootstrapServers()
                + " registry="
                + stack.registryUrl()
                + " jdbc="
                + jdbc
                + endpoints
                + " training-pid="
                + training.pid();
    }

    Simulator simulator() {
        return simulator;
    }

    DemoMonitor monitor() {
        return monitor;
    }

    TopicCatalog catalog() {
        return catalog;
    }

    /** Kafka client settings for the stack, {@code bootstrap.servers} included. */
    Map<String, Object> client() {
        return Map.copyOf(client);
    }

    /** The feature stage. */
    FeatureApp features() {
        return features;
    }

    LocalStack stack() {
        return stack;
    }

    /** The first replica's /health and /metrics port. */
    int servingPort() {
        return replicas.get(0).httpPort();
    }

    /** The model version the first replica serves (0: none yet). */
    long servedVersion() {
        return replicas.isEmpty() ? 0 : replicas.get(0).models().version();
    }

    /** Payments sent, vectors, predictions and dead letters seen so far, for a failure message. */
    String progress() {
        return monitor.progress() + ", model served " + servedVersion();
    }

    /**
     * Waits until every payment sent has its prediction, or the timeout passes; true when none is
     * missing.
     */
    boolean drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (monitor.predicted() < simulator.counts().payments.get()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(100); // polling the monitor's count
        }
        return true;
    }

    private void endpoint(String name, int port) {
        if (port > 0) {
            endpoints.append(' ').append(name).append("=http://localhost:").append(port);
        }
    }

    private static Map<String, String> only(Map<String, String> values, String enginePrefix) {
        Map<String, String> out = new HashMap<>(values);
        out.keySet()
                .removeIf(
                        k ->
                                (k.startsWith("tideline.features.")
                                                || k.startsWith("tideline.serving.")
                                                || k.startsWith("tideline.cdc.")
                                                || k.startsWith("tideline.training.")
                                                || k.startsWith("tideline.stack."))
                                        && !k.startsWith(enginePrefix));
        return out;
    }

    /** Stops the simulator and the monitor, the engines, then the stack. */
    @Override
    public void close() {
        if (simulator != null) {
            simulator.close();
        }
        if (monitor != null) {
            monitor.close();
        }
        if (training != null) {
            training.destroy();
            try {
                if (!training.waitFor(10, TimeUnit.SECONDS)) {
                    training.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception e) {
                log.warn("stopping {}: {}", parts.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        if (stateFile != null) {
            try {
                Files.deleteIfExists(stateFile);
            } catch (IOException e) {
                log.warn("could not delete {}: {}", stateFile, e.toString());
            }
        }
        if (stack != null) {
            stack.close();
        }
    }
}
