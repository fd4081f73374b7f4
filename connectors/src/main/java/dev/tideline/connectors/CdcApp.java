package dev.tideline.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.config.ClientSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

/**
 * The embedded CDC runner as a service: migrations (optional), the runner, and {@code /health} (200
 * while capturing, with the lag behind the database) and {@code /metrics} (Prometheus). The same
 * path serves {@code java -jar}, the CLI and the demo.
 */
public final class CdcApp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CdcRunner runner;
    private final PrometheusMeterRegistry registry;
    private final HttpServer http;

    private CdcApp(CdcRunner runner, PrometheusMeterRegistry registry, HttpServer http) {
        this.runner = runner;
        this.registry = registry;
        this.http = http;
    }

    public static CdcApp start(CdcConfig config) {
        if (config.getBoolean(CdcConfig.MIGRATE)) {
            SourceDatabase.migrate(
                    config.getString(CdcConfig.JDBC_URL),
                    config.getString(CdcConfig.USER),
                    config.getPassword(CdcConfig.PASSWORD).value());
        }
        TopicCatalog catalog =
                ClientSettings.catalog(
                        config.values(),
                        ClientSettings.registry(
                                config.getString(ClientSettings.REGISTRY_URL), config.values()));
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
        HttpServer http = null;
        int port = config.getInt(CdcConfig.HTTP_PORT);
        if (port >= 0) {
            try {
                http =
                        HttpServer.create(
                                new InetSocketAddress(config.getString(CdcConfig.HTTP_HOST), port),
                                16);
            } catch (IOException e) {
                runner.close();
                throw new UncheckedIOException(
                        "cannot listen on port " + port + " (" + CdcConfig.HTTP_PORT + ")", e);
            }
        }
        CdcApp app = new CdcApp(runner, registry, http);
        if (http != null) {
            http.createContext("/health", app::health);
            http.createContext("/metrics", app::metrics);
            http.start();
        }
        return app;
    }

    public CdcRunner runner() {
        return runner;
    }

    public int httpPort() {
        return http == null ? -1 : http.getAddress().getPort();
    }

    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return runner.awaitDone(timeout);
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            CdcRunner.State state = runner.state();
            ObjectNode body = JSON.createObjectNode();
            body.put("state", state.name());
            body.put("lag_ms", runner.metrics().lagMs());
            if (runner.failure() != null) {
                body.put("error", runner.failure().getMessage());
            }
            boolean ok = state == CdcRunner.State.RUNNING || state == CdcRunner.State.STARTING;
            send(ex, ok ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            send(
                    ex,
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    registry.scrape().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body)
            throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        runner.close();
        registry.close();
    }
}
