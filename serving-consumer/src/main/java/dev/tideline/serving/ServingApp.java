package dev.tideline.serving;

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
import java.time.Duration;
import java.util.HashMap;
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
    private final HttpServer http;

    private ServingApp(ServingConfig config) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TopicCatalog catalog =
                ClientSettings.catalog(
                        config.values(),
                        ClientSettings.registry(
                                config.getString(ClientSettings.REGISTRY_URL), config.values()));
        Map<String, Object> client = new HashMap<>(ClientSettings.kafkaClient(config.values()));
        client.put("bootstrap.servers", config.getString(ClientSettings.BOOTSTRAP));
        this.models =
                new ModelSwitch(
                        new ModelGates(
                                config.getString(ServingConfig.SPEC_FINGERPRINT),
                                config.getInt(ServingConfig.INPUT_WIDTH),
                                config.scoringOptions()),
                        registry);
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
        int port = config.getInt(ServingConfig.HTTP_PORT);
        try {
            this.http =
                    port < 0
                            ? null
                            : HttpServer.create(
                                    new InetSocketAddress(
                                            config.getString(ServingConfig.HTTP_HOST), port),
                                    16);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on port " + port + " (" + ServingConfig.HTTP_PORT + ")", e);
        }
    }

    public static ServingApp start(ServingConfig config) {
        ServingApp app = new ServingApp(config);
        app.watcher.start();
        Thread t = new Thread(app.loop, "tideline-scoring");
        t.start();
        if (app.http != null) {
            app.http.createContext("/health", app::health);
            app.http.createContext("/metrics", app::metrics);
            app.http.start();
        }
        return app;
    }

    public int httpPort() {
        return http == null ? -1 : http.getAddress().getPort();
    }

    public ModelSwitch models() {
        return models;
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return loop.awaitStopped(timeout);
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
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
            send(
                    ex,
                    loop.running() ? (ready ? 200 : 503) : 503,
                    "application/json",
                    body.getBytes(StandardCharsets.UTF_8));
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
        loop.close();
        watcher.close();
        models.close();
        registry.close();
    }
}
