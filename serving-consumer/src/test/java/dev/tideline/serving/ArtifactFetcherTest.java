package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.tideline.testkit.TestModels;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactFetcherTest {

    private static final byte[] MODEL = TestModels.logistic(new float[] {1, 0, 0, 0}, 0);

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int status = 200;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ArtifactFetcher fetcher =
            new ArtifactFetcher(
                    new ArtifactFetcher.Settings(
                            Duration.ofSeconds(5), 1 << 20, 3, 5, Duration.ofMillis(300)),
                    registry);

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/models/",
                exchange -> {
                    requests.incrementAndGet();
                    int s = status;
                    byte[] body = s == 200 ? MODEL : new byte[0];
                    exchange.sendResponseHeaders(s, body.length == 0 ? -1 : body.length);
                    if (body.length > 0) {
                        exchange.getResponseBody().write(body);
                    }
                    exchange.close();
                });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String uri(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/models/" + name;
    }

    @Test
    void fetchesOverHttpAndFromFiles(@TempDir Path dir) throws Exception {
        assertThat(fetcher.fetch(uri("fraud-1.onnx"))).isEqualTo(MODEL);
        Path file = Files.write(dir.resolve("fraud-2.onnx"), MODEL);
        assertThat(fetcher.fetch(file.toUri().toString())).isEqualTo(MODEL);
    }

    @Test
    void opensTheBreakerAfterRepeatedFailuresThenClosesItWhenTheStoreRecovers() throws Exception {
        status = 503;
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> fetcher.fetch(uri("fraud-1.onnx")))
                    .isInstanceOfSatisfying(
                            ArtifactFetcher.FetchException.class,
                            e -> assertThat(e.retryable()).isTrue())
                    .hasMessageContaining("HTTP 503");
        }
        assertThat(fetcher.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(registry.get("tideline.serving.artifact.breaker.open").gauge().value())
                .isEqualTo(1);

        int before = requests.get();
        assertThatThrownBy(() -> fetcher.fetch(uri("fraud-1.onnx")))
                .hasMessageContaining("circuit open");
        assertThat(requests.get()).as("an open breaker does not call the store").isEqualTo(before);

        status = 200;
        await().atMost(Duration.ofSeconds(10))
                .ignoreExceptions()
                .until(() -> fetcher.fetch(uri("fraud-1.onnx")).length == MODEL.length);
        assertThat(fetcher.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void refusesForGoodWhatRetryingCannotFix(@TempDir Path dir) throws Exception {
        status = 404;
        assertThatThrownBy(() -> fetcher.fetch(uri("missing.onnx")))
                .isInstanceOfSatisfying(
                        ArtifactFetcher.FetchException.class,
                        e -> assertThat(e.retryable()).isFalse())
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> fetcher.fetch("s3://bucket/fraud.onnx"))
                .hasMessageContaining("scheme must be http, https or file");
        Path big = Files.write(dir.resolve("big.onnx"), new byte[(1 << 20) + 1]);
        assertThatThrownBy(() -> fetcher.fetch(big.toUri().toString()))
                .hasMessageContaining("over the 1048576 limit");
        assertThat(fetcher.state())
                .as("answers that are not the store failing leave the breaker closed")
                .isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
