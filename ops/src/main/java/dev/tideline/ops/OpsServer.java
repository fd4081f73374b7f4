package dev.tideline.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An engine's small HTTP server: {@code /health} (and paths under it, such as {@code /health/live})
 * answered by the engine's own check, {@code /metrics} in Prometheus text, and any further
 * endpoints the engine adds.
 */
public final class OpsServer implements AutoCloseable {

    /** A health answer: 200 when {@code ok}, else 503, with a JSON body. */
    public record Health(boolean ok, String json) {}

    private final HttpServer http;
    private final ExecutorService executor;

    private OpsServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /**
     * Listens on {@code host:port} (0 picks a free port).
     *
     * @param portKey the setting that names the port, for the error message
     */
    public static OpsServer start(
            String host,
            int port,
            String portKey,
            PrometheusMeterRegistry registry,
            Function<String, Health> health) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on port " + port + " (" + portKey + "): " + e.getMessage(), e);
        }
        ExecutorService executor =
                Executors.newFixedThreadPool(
                        4,
                        r -> {
                            Thread t = new Thread(r, "tideline-ops-http");
                            t.setDaemon(true);
                            return t;
                        });
        http.setExecutor(executor);
        http.createContext(
                "/health",
                ex -> {
                    try (ex) {
                        Health h = health.apply(ex.getRequestURI().getPath());
                        send(
                                ex,
                                h.ok() ? 200 : 503,
                                "application/json",
                                h.json().getBytes(StandardCharsets.UTF_8));
                    }
                });
        http.createContext(
                "/metrics",
                ex -> {
                    try (ex) {
                        send(
                                ex,
                                200,
                                "text/plain; version=0.0.4; charset=utf-8",
                                registry.scrape().getBytes(StandardCharsets.UTF_8));
                    }
                });
        http.start();
        return new OpsServer(http, executor);
    }

    /** Adds an endpoint under {@code path}. */
    public void context(String path, HttpHandler handler) {
        http.createContext(path, handler);
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** Writes a whole response. */
    public static void send(HttpExchange ex, int status, String contentType, byte[] body)
            throws IOException {
        ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
