package dev.tideline.testkit;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An https reverse proxy that asks for basic authentication, in front of a plain-http server: how a
 * registry is often deployed (behind nginx or Envoy), here for tests of clients that must speak TLS
 * and send credentials.
 */
public final class AuthenticatingProxy implements AutoCloseable {

    private static final List<String> FORWARDED_HEADERS = List.of("Content-Type", "Accept");

    private final HttpsServer server;
    private final ExecutorService pool;
    private final HttpClient http;
    private final URI upstream;
    private final AtomicLong forwarded = new AtomicLong();

    private AuthenticatingProxy(
            HttpsServer server, ExecutorService pool, HttpClient http, URI upstream) {
        this.server = server;
        this.pool = pool;
        this.http = http;
        this.upstream = upstream;
    }

    /**
     * Listens on a free loopback port with the node certificate of {@code tls}, lets in only {@code
     * user} with {@code password}, and forwards each request to {@code upstream}'s scheme, host and
     * port, path and query unchanged.
     */
    public static AuthenticatingProxy start(URI upstream, TestTls tls, String user, String password)
            throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress("localhost", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
        ExecutorService pool =
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "tideline-test-proxy");
                            t.setDaemon(true);
                            return t;
                        });
        server.setExecutor(pool);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AuthenticatingProxy proxy = new AuthenticatingProxy(server, pool, http, upstream);
        server.createContext("/", proxy::forward)
                .setAuthenticator(
                        new BasicAuthenticator("tideline-test") {
                            @Override
                            public boolean checkCredentials(String u, String p) {
                                return user.equals(u) && password.equals(p);
                            }
                        });
        server.start();
        return proxy;
    }

    /** {@code https://localhost:<port>}. */
    public String baseUrl() {
        return "https://localhost:" + server.getAddress().getPort();
    }

    /** Requests that passed authentication and were forwarded. */
    public long forwarded() {
        return forwarded.get();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI in = exchange.getRequestURI();
            URI target =
                    URI.create(
                            upstream.getScheme()
                                    + "://"
                                    + upstream.getRawAuthority()
                                    + in.getRawPath()
                                    + (in.getRawQuery() == null ? "" : "?" + in.getRawQuery()));
            byte[] body;
            try (InputStream requestBody = exchange.getRequestBody()) {
                body = requestBody.readAllBytes();
            }
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(target)
                            .timeout(Duration.ofSeconds(30))
                            .method(
                                    exchange.getRequestMethod(),
                                    body.length == 0
                                            ? HttpRequest.BodyPublishers.noBody()
                                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String header : FORWARDED_HEADERS) {
                String value = exchange.getRequestHeaders().getFirst(header);
                if (value != null) {
                    request.header(header, value);
                }
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(503, -1);
                return;
            } catch (IOException e) {
                exchange.sendResponseHeaders(502, -1);
                return;
            }
            forwarded.incrementAndGet();
            response.headers()
                    .firstValue("Content-Type")
                    .ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
            byte[] out = response.body();
            exchange.sendResponseHeaders(response.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
