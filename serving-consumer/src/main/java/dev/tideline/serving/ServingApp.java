package dev.tideline.serving;

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
public final class ServingApp implements AutoCloseable {

    private final ModelSwitch models;
    private final ModelWatcher watcher;
    private final ScoringLoop loop;
    private final PrometheusMeterRegistry registry;
    private final int port;
    private final String host;
    private OpsServer ops;

    private ServingApp(ServingConfig config) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TopicCatalog catalog = config.catalog();
        Map<String, Object> client = config.kafkaClient();
        this.models =
                new ModelSwitch(
                        new ModelGates(
                                config.getString(ServingConfig.SPEC_FINGERPRINT),
                                config.getInt(ServingConfig.INPUT_WIDTH),
                                config.scoringOptions(),
                                new ArtifactFetcher(config.artifacts(), registry)),
                        registry,
                        3,
                        Duration.ofMinutes(1),
                        config.shadow());
        this.watcher =
                new ModelWatcher(
                        client, catalog.models(), config.getString(ServingConfig.MODEL), models);
        this.loop =
                new ScoringLoop(
                        client,
                        catalog,
                        models,
                        new ScoringLoop.Settings(
                                config.getString(ServingConfig.GROUP_ID),
                                config.transactionalId(),
                                config.getString(ServingConfig.SPEC_FINGERPRINT),
                                config.getInt(ServingConfig.INPUT_WIDTH),
                                config.getDouble(ServingConfig.FALLBACK_SCORE),
                                config.getInt(ServingConfig.MAX_BATCH)),
                        registry);
        this.port = config.getInt(ServingConfig.HTTP_PORT);
        this.host = config.getString(ServingConfig.HTTP_HOST);
    }

    public static ServingApp start(ServingConfig config) {
        ServingApp app = new ServingApp(config);
        app.watcher.start();
        Thread t = new Thread(app.loop, "tideline-scoring");
        t.start();
        if (app.port >= 0) {
            app.ops =
                    OpsServer.start(
                            app.host,
                            app.port,
                            ServingConfig.HTTP_PORT,
                            app.registry,
                            path -> app.health());
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

    private OpsServer.Health health() {
        boolean ready = loop.running() && loop.assignedPartitions() > 0;
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
    }
}
