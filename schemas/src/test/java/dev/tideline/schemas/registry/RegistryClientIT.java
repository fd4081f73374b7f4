package dev.tideline.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against the real registry, with a fault-injecting HTTP proxy in front of it where a
 * test needs failures or wants to see the requests on the wire.
 */
@WithLocalStack
class RegistryClientIT {

    private HttpServer proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.stop(0);
        }
    }

    /** Forwards to the registry, answering 503 to the first {@code failures} requests. */
    private String faultyProxy(
            String registryUrl, int failures, AtomicInteger requests, List<String> authHeaders)
            throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext(
                "/",
                exchange -> {
                    int n = requests.incrementAndGet();
                    String auth = exchange.getRequestHeaders().getFirst("Authorization");
                    authHeaders.add(auth == null ? "" : auth);
                    byte[] requestBody;
                    try (InputStream in = exchange.getRequestBody()) {
                        requestBody = in.readAllBytes();
                    }
                    if (n <= failures) {
                        byte[] body = "{\"error_code\":50001,\"message\":\"injected\"}".getBytes();
                        exchange.sendResponseHeaders(503, body.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(body);
                        }
                        return;
                    }
                    try {
                        HttpRequest.Builder forward =
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        registryUrl
                                                                + exchange.getRequestURI()
                                                                        .toString()))
                                        .method(
                                                exchange.getRequestMethod(),
                                                HttpRequest.BodyPublishers.ofByteArray(
                                                        requestBody));
                        String type = exchange.getRequestHeaders().getFirst("Content-Type");
                        if (type != null) {
                            forward.header("Content-Type", type);
                        }
                        HttpResponse<byte[]> response =
                                http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                        exchange.sendResponseHeaders(response.statusCode(), response.body().length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(response.body());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        exchange.sendResponseHeaders(500, -1);
                    }
                });
        proxy.start();
        return "http://127.0.0.1:" + proxy.getAddress().getPort();
    }

    private static SchemaRegistryClient client(Map<String, Object> extra, String url) {
        Map<String, Object> config = new java.util.HashMap<>(extra);
        config.put(RegistryClientConfig.URL, url);
        config.putIfAbsent(RegistryClientConfig.RETRY_BACKOFF_MS, 10L);
        return new SchemaRegistryClient(RegistryClientConfig.from(config));
    }

    @Test
    void registersLooksUpAndFetchesById(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient client = client(Map.of(), stack.registryUrl());
        String subject = ns.name("tx-value");
        int id = client.register(subject, Transaction.getClassSchema());
        assertThat(client.register(subject, Transaction.getClassSchema())).isEqualTo(id);
        RegisteredSchema found = client.lookup(subject, Transaction.getClassSchema());
        assertThat(found.id()).isEqualTo(id);
        assertThat(found.version()).isEqualTo(1);
        // A fresh client has empty caches, so this goes to the registry.
        assertThat(client(Map.of(), stack.registryUrl()).schemaById(id))
                .isEqualTo(Transaction.getClassSchema());
        assertThat(client.latest(subject).id()).isEqualTo(id);
        assertThat(client.subjects()).contains(subject);
    }

    @Test
    void lookingUpAnUnregisteredSchemaIsNotFound(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient client = client(Map.of(), stack.registryUrl());
        String subject = ns.name("tx-value");
        client.register(subject, Transaction.getClassSchema());
        assertThatThrownBy(() -> client.lookup(subject, Label.getClassSchema()))
                .isInstanceOf(SchemaNotFoundException.class)
                .hasMessageContaining(subject);
        assertThatThrownBy(() -> client.lookup(ns.name("nobody-value"), Label.getClassSchema()))
                .isInstanceOf(SchemaNotFoundException.class);
    }

    @Test
    void cachesSoASteadyStateMakesNoCalls(LocalStack stack, TestNamespace ns) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        String url = faultyProxy(stack.registryUrl(), 0, requests, new CopyOnWriteArrayList<>());
        SchemaRegistryClient client = client(Map.of(), url);
        String subject = ns.name("tx-value");
        int id = client.register(subject, Transaction.getClassSchema());
        int after = requests.get();
        for (int i = 0; i < 100; i++) {
            client.register(subject, Transaction.getClassSchema());
            client.idOf(subject, Transaction.getClassSchema());
            client.schemaById(id);
        }
        assertThat(requests.get()).isEqualTo(after);
    }

    @Test
    void retriesServerErrorsWithBackoff(LocalStack stack, TestNamespace ns) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        String url = faultyProxy(stack.registryUrl(), 2, requests, new CopyOnWriteArrayList<>());
        SchemaRegistryClient client = client(Map.of(RegistryClientConfig.RETRIES, 3), url);
        int id = client.register(ns.name("tx-value"), Transaction.getClassSchema());
        assertThat(id).isPositive();
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    void givesUpAfterTheConfiguredRetries(LocalStack stack, TestNamespace ns) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        String url = faultyProxy(stack.registryUrl(), 100, requests, new CopyOnWriteArrayList<>());
        SchemaRegistryClient client = client(Map.of(RegistryClientConfig.RETRIES, 2), url);
        assertThatThrownBy(() -> client.register(ns.name("tx-value"), Transaction.getClassSchema()))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e).isNotInstanceOf(IncompatibleSchemaException.class))
                .hasMessageContaining("after 3 attempts")
                .hasMessageContaining("HTTP 503");
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    void failsOverFromAnUnreachableUrl(LocalStack stack, TestNamespace ns) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        SchemaRegistryClient client =
                client(Map.of(), "http://127.0.0.1:" + deadPort + "," + stack.registryUrl());
        assertThat(client.register(ns.name("tx-value"), Transaction.getClassSchema())).isPositive();
    }

    @Test
    void sendsBasicAndBearerCredentials(LocalStack stack, TestNamespace ns) throws Exception {
        List<String> auth = new CopyOnWriteArrayList<>();
        String url = faultyProxy(stack.registryUrl(), 0, new AtomicInteger(), auth);
        client(
                        Map.of(
                                RegistryClientConfig.BASIC_AUTH_SOURCE, "USER_INFO",
                                RegistryClientConfig.BASIC_AUTH_USER_INFO, "key:secret"),
                        url)
                .subjects();
        client(
                        Map.of(
                                RegistryClientConfig.BEARER_AUTH_SOURCE, "STATIC_TOKEN",
                                RegistryClientConfig.BEARER_AUTH_TOKEN, "tkn"),
                        url)
                .subjects();
        assertThat(auth).containsExactly("Basic a2V5OnNlY3JldA==", "Bearer tkn");
    }

    @Test
    void setsAndReadsASubjectsCompatibility(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient client = client(Map.of(), stack.registryUrl());
        String subject = ns.name("tx-value");
        client.register(subject, Transaction.getClassSchema());
        client.setCompatibility(subject, CompatibilityLevel.FULL);
        assertThat(client.compatibility(subject)).contains(CompatibilityLevel.FULL);
    }
}
