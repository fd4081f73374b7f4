package dev.tideline.serving;

import dev.tideline.ops.Engine;
import dev.tideline.ops.OpsServer;
import dev.tideline.schemas.TopicCatalog;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * One scoring replica as a service: the model switch and watcher, the scoring loop, and {@code
 * /health} (ready once it holds partitions; a model or the fallback is always in place) and {@code
 * /metrics}. The same path serves {@code java -jar}, the CLI and the demo.
 */
public final class ServingApp implements Engine {

    private final ModelSwitch models;
    private final ModelWatcher watcher;
    private final ScoringLoop loop;
    private final PrometheusMeterRegistry registry;
    private final InstanceLease instance;
    private OpsServer ops;

    private ServingApp(ServingConfig config, InstanceLease instance) {
        this.instance = instance;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TopicCatalog catalog = config.catalog();
        Map<String, Object> client = config.kafkaClient();
        this.models =
                new ModelSwitch(
                        new ModelGates(
                                config.getString(ServingConfig.SPEC_FINGERPRINT),
                                config.getInt(ServingConfig.INPUT_WIDTH),
                                config.scoringOptions(),
                                new ArtifactFetcher(config.artifacts(), registry),
                                config.trustedKeys()),
                        registry,
                        3,
                        Duration.ofMinutes(1),
                        config.shadow());
        this.watcher =
                new ModelWatcher(
                        client,
                        catalog.models(),
                        catalog.revocations(),
                        config.getString(ServingConfig.MODEL),
                        instance.id(),
                        models);
        this.loop =
                new ScoringLoop(
                        client,
                        catalog,
                        models,
                        new ScoringLoop.Settings(
                                config.getString(ServingConfig.GROUP_ID),
                                config.transactionalId(instance.id()),
                                config.getString(ServingConfig.SPEC_FINGERPRINT),
                                config.getInt(ServingConfig.INPUT_WIDTH),
                                config.getDouble(ServingConfig.FALLBACK_SCORE),
                                config.getInt(ServingConfig.MAX_BATCH)),
                        registry);
    }

    public static ServingApp start(ServingConfig config) {
        InstanceLease instance = config.claimInstance();
        ServingApp app;
        try {
            app = new ServingApp(config, instance);
        } catch (RuntimeException e) {
            instance.close();
            throw e;
        }
        app.watcher.start();
        Thread t = new Thread(app.loop, "tideline-scoring");
        t.start();
        try {
            app.ops = config.startHttp(app.registry, path -> app.health()).orElse(null);
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        return app;
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    public ModelSwitch models() {
        return models;
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return loop.awaitStopped(timeout);
    }

    /** A replica stops by itself only on a fatal error (fenced, not authorised): exit 1. */
    @Override
    public int awaitExit() throws InterruptedException {
        loop.awaitStopped(Duration.ofDays(365_000));
        return 1;
    }

    /** Ready once the loop runs and holds partitions, as {@code /health} reports. */
    public boolean ready() {
        return loop.running() && loop.assignedPartitions() > 0;
    }

    private OpsServer.Health health() {
        boolean ready = ready();
        String body =
                "{\"running\":"
                        + loop.running()
                        + ",\"partitions\":"
                        + loop.assignedPartitions()
                        + ",\"model_version\":"
                        + models.version()
                        + ",\"ready\":"
                        + ready
                        + "}";
        return new OpsServer.Health(ready, body);
    }

    @Override
    public void close() {
        if (ops != null) {
            ops.close();
        }
        loop.close();
        watcher.close();
        models.close();
        registry.close();
        instance.close();
    }
}
