package dev.tideline.cli;

import dev.tideline.connectors.CdcApp;
import dev.tideline.connectors.CdcConfig;
import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.localstack.LocalStack;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.config.ClientSettings;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.serving.ServingApp;
import dev.tideline.serving.ServingConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code tideline stack up}: starts the local stack, creates the catalog's topics, prints one
 * {@code READY ...} line and runs until interrupted or terminated.
 */
@Command(
        name = "up",
        description = {
            "Start the local stack, create the pipeline's topics, print",
            "'READY bootstrap=<host:port> registry=<url> jdbc=<url>' and run until Ctrl-C or"
                    + " SIGTERM."
        })
final class StackUpCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(StackUpCommand.class);

    /** The training process's /health and /metrics port setting (7073 in the demo). */
    static final String TRAINING_HTTP_PORT = "tideline.training.http.port";

    @Mixin CommonOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(options, spec.commandLine().getOut(), false);
    }

    /**
     * Shared with {@code demo}, which also runs the pipeline's engines in this JVM; {@code demo}'s
     * READY line then names the feature stage's read API too.
     */
    static int run(CommonOptions options, PrintWriter out, boolean engines) throws Exception {
        Path stateFile = StackState.defaultFile();
        Optional<StackState> running = StackState.readLive(stateFile);
        if (running.isPresent()) {
            throw new IllegalStateException(
                    "a local stack is already running (pid "
                            + running.get().pid()
                            + ", bootstrap "
                            + running.get().bootstrap()
                            + "); stop it first, or set TIDELINE_STATE_DIR to run another");
        }
        Settings settings = Settings.load(options);
        Map<String, String> values = settings.values();
        LocalStack stack = LocalStack.builder().configure(values).start();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicReference<FeatureApp> features = new AtomicReference<>();
        AtomicReference<CdcApp> cdc = new AtomicReference<>();
        AtomicReference<ServingApp> serving = new AtomicReference<>();
        AtomicReference<Process> training = new AtomicReference<>();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        Files.deleteIfExists(stateFile);
                                    } catch (Exception e) {
                                        log.warn(
                                                "could not delete {}: {}", stateFile, e.toString());
                                    }
                                    Process trainer = training.get();
                                    if (trainer != null) {
                                        trainer.destroy();
                                        try {
                                            trainer.waitFor(30, TimeUnit.SECONDS);
                                        } catch (InterruptedException e) {
                                            Thread.currentThread().interrupt();
                                        }
                                    }
                                    ServingApp replica = serving.get();
                                    if (replica != null) {
                                        replica.close();
                                    }
                                    FeatureApp app = features.get();
                                    if (app != null) {
                                        app.close();
                                    }
                                    CdcApp capture = cdc.get();
                                    if (capture != null) {
                                        capture.close();
                                    }
                                    stack.close();
                                    stopped.countDown();
                                },
                                "tideline-stack-up-shutdown"));
        log.info("started {}", stack.describeStartup());

        SchemaRegistryClient registry =
                new SchemaRegistryClient(
                        dev.tideline.schemas.registry.RegistryClientConfig.forUrl(
                                stack.registryUrl()));
        TopicCatalog catalog = TopicCatalog.create(settings.catalogConfig(), registry);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
        }

        String jdbc = stack.hasPostgres() ? stack.jdbc().url() : "none";
        new StackState(
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        jdbc,
                        catalog.config().prefix(),
                        ProcessHandle.current().pid())
                .write(stateFile);
        String extra = "";
        if (engines) {
            Map<String, String> featureSettings = new HashMap<>(values);
            featureSettings.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
            featureSettings.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
            featureSettings.put(TopicCatalogConfig.PREFIX, catalog.config().prefix());
            featureSettings.putIfAbsent(
                    FeatureConfig.STATE_DIR, stack.workDir().resolve("features").toString());
            Map<String, String> onlyFeatures = new HashMap<>(featureSettings);
            onlyFeatures
                    .keySet()
                    .removeIf(
                            k ->
                                    k.startsWith("tideline.serving.")
                                            || k.startsWith("tideline.cdc."));
            FeatureApp app = FeatureApp.start(new FeatureConfig(onlyFeatures));
            features.set(app);
            extra = app.httpPort() > 0 ? " features=http://localhost:" + app.httpPort() : "";
            Map<String, String> servingSettings = new HashMap<>(featureSettings);
            servingSettings.keySet().removeIf(k -> k.startsWith("tideline.features."));
            servingSettings.putIfAbsent(ServingConfig.SPEC_FINGERPRINT, app.spec().fingerprint());
            servingSettings.putIfAbsent(
                    ServingConfig.INPUT_WIDTH, String.valueOf(app.spec().size()));
            servingSettings.putIfAbsent(ServingConfig.INSTANCE_ID, "demo");
            ServingApp replica = ServingApp.start(new ServingConfig(servingSettings));
            serving.set(replica);
            extra +=
                    replica.httpPort() > 0 ? " serving=http://localhost:" + replica.httpPort() : "";
            if (stack.hasPostgres()) {
                Map<String, String> cdcSettings = new HashMap<>(featureSettings);
                cdcSettings
                        .keySet()
                        .removeIf(
                                k ->
                                        k.startsWith("tideline.features.")
                                                || k.startsWith("tideline.serving."));
                cdcSettings.put(CdcConfig.JDBC_URL, jdbc);
                cdcSettings.put(CdcConfig.MIGRATE, "true");
                cdcSettings.putIfAbsent(
                        CdcConfig.OFFSETS_FILE,
                        stack.workDir().resolve("cdc").resolve("offsets.dat").toString());
                CdcApp capture = CdcApp.start(new CdcConfig(cdcSettings));
                cdc.set(capture);
                extra +=
                        capture.httpPort() > 0 ? " cdc=http://localhost:" + capture.httpPort() : "";
            }
            Path jar = ModuleJvm.TRAINING.requireJar(new PrintWriter(System.err, true));
            if (jar == null) {
                extra += " training=off";
            } else {
                Map<String, String> trainingSettings = TrainingProcess.settings(featureSettings);
                // Labels in a demo arrive within minutes, not the production month.
                trainingSettings.putIfAbsent("tideline.training.maturity-ms", "120000");
                trainingSettings.putIfAbsent(
                        "tideline.training.checkpoint-dir",
                        stack.workDir().resolve("training-checkpoints").toUri().toString());
                trainingSettings.putIfAbsent(TRAINING_HTTP_PORT, "7073");
                Process trainer = TrainingProcess.start(jar, trainingSettings);
                training.set(trainer);
                extra += trainingUrl(trainingSettings.get(TRAINING_HTTP_PORT));
                extra += " training-pid=" + trainer.pid();
            }
        }
        out.printf(
                "READY bootstrap=%s registry=%s jdbc=%s%s%n",
                stack.bootstrapServers(), stack.registryUrl(), jdbc, extra);
        out.flush();
        stopped.await();
        return 0;
    }

    /** {@code " training=<url>"} for a fixed port; nothing when it is picked at start or off. */
    static String trainingUrl(String port) {
        try {
            int p = Integer.parseInt(port.trim());
            return p > 0 ? " training=http://localhost:" + p : "";
        } catch (NumberFormatException e) {
            return ""; // the training process refuses it, naming the key
        }
    }
}
