package dev.tideline.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.ops.Engine;
import dev.tideline.ops.OpsServer;
import dev.tideline.schemas.TopicCatalog;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;

/**
 * The embedded CDC runner as a service: migrations (optional), the runner, and {@code /health} (200
 * while capturing, with the lag behind the database) and {@code /metrics} (Prometheus). The same
 * path serves {@code java -jar}, the CLI and the demo.
 */
public final class CdcApp implements Engine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CdcRunner runner;
    private final PrometheusMeterRegistry registry;
    private OpsServer ops;

    private CdcApp(CdcRunner runner, PrometheusMeterRegistry registry) {
        this.runner = runner;
        this.registry = registry;
    }

    public static CdcApp start(CdcConfig config) {
        if (config.getBoolean(CdcConfig.MIGRATE)) {
            SourceDatabase.migrate(
                    config.getString(CdcConfig.JDBC_URL),
                    config.getString(CdcConfig.USER),
                    config.getPassword(CdcConfig.PASSWORD).value());
        }
        TopicCatalog catalog = config.catalog();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CdcRunner.Settings settings = config.runnerSettings();
        try {
            Files.createDirectories(settings.offsetsFile().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create the directory of "
                            + CdcConfig.OFFSETS_FILE
                            + " "
                            + settings.offsetsFile(),
                    e);
        }
        CdcRunner runner = CdcRunner.start(settings, catalog, new CdcMetrics(registry));
        CdcApp app = new CdcApp(runner, registry);
        try {
            app.ops = config.startHttp(registry, path -> app.health()).orElse(null);
        } catch (RuntimeException e) {
            runner.close();
            throw e;
        }
        return app;
    }

    public CdcRunner runner() {
        return runner;
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return runner.awaitDone(timeout);
    }

    /** 1 when the runner failed (schema drift, a fatal Kafka error), 0 once closed. */
    @Override
    public int awaitExit() throws InterruptedException {
        runner.awaitDone(Duration.ofDays(365_000));
        return runner.state() == CdcRunner.State.FAILED ? 1 : 0;
    }

    private OpsServer.Health health() {
        CdcRunner.State state = runner.state();
        ObjectNode body = JSON.createObjectNode();
        body.put("state", state.name());
        body.put("lag_ms", runner.metrics().lagMs());
        if (runner.failure() != null) {
            body.put("error", runner.failure().getMessage());
        }
        return new OpsServer.Health(
                state == CdcRunner.State.RUNNING || state == CdcRunner.State.STARTING,
                body.toString());
    }

    @Override
    public void close() {
        if (ops != null) {
            ops.close();
        }
        runner.close();
        registry.close();
    }
}
