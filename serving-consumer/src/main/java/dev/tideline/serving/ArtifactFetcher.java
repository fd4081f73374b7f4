package dev.tideline.serving;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Fetches the bytes of a model release that points to an external artifact ({@code http}, {@code
 * https} or {@code file} URI) instead of carrying them inline. A circuit breaker guards the fetch:
 * after repeated failures it stops calling the artifact store for a while, so a store that is down
 * costs serving nothing but a refused (and later retried) release.
 */
public final class ArtifactFetcher {

    /** How the fetch behaves; see {@link ServingConfig} for the keys. */
    public record Settings(
            Duration timeout, long maxBytes, int failureThreshold, int window, Duration openFor) {

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), 256L << 20, 3, 5, Duration.ofSeconds(30));
        }
    }

    /** The artifact could not be had; {@code transient} when trying again later may succeed. */
    public static final class FetchException extends Exception {
        private final boolean retryable;

        FetchException(String message, boolean retryable, Throwable cause) {
            super(message, cause);
            this.retryable = retryable;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    private final Settings settings;
    private final HttpClient http;
    private final CircuitBreaker breaker;

    public ArtifactFetcher(Settings settings, MeterRegistry registry) {
        this.settings = settings;
        this.http =
                HttpClient.newBuilder()
                        .connectTimeout(settings.timeout())
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .build();
        this.breaker =
                CircuitBreaker.of(
                        "model-artifacts",
                        CircuitBreakerConfig.custom()
                                .slidingWindowType(
                                        CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                                .slidingWindowSize(settings.window())
                                .minimumNumberOfCalls(settings.failureThreshold())
                                .failureRateThreshold(
                                        Math.min(
                                                100f,
                                                100f
                                                        * settings.failureThreshold()
                                                        / settings.window()))
                                .waitDurationInOpenState(settings.openFor())
                                .permittedNumberOfCallsInHalfOpenState(1)
                                .recordExceptions(IOException.class)
                                .build());
        Gauge.builder(
                        "tideline.serving.artifact.breaker.open",
                        breaker,
                        b -> b.getState() == CircuitBreaker.State.OPEN ? 1 : 0)
                .description("1 while the model-artifact circuit breaker is open")
                .register(registry);
    }

    /** The breaker's state, for health reports and tests. */
    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    /**
     * The artifact's bytes.
     *
     * @throws FetchException naming the URI: retryable for I/O failures, server errors and an open
     *     breaker; not for a malformed URI, an unsupported scheme, a 4xx answer or an oversized
     *     artifact
     */
    public byte[] fetch(String uri) throws FetchException {
        URI target;
        try {
            target = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new FetchException("malformed artifact URI " + uri, false, e);
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new FetchException(
                    "artifact URI " + uri + ": scheme must be http, https or file", false, null);
        }
        try {
            return breaker.executeCheckedSupplier(() -> read(target));
        } catch (CallNotPermittedException e) {
            throw new FetchException("artifact store circuit open, not fetching " + uri, true, e);
        } catch (FetchException e) {
            throw e;
        } catch (IOException e) {
            throw new FetchException("fetching " + uri + " failed: " + e.getMessage(), true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException("interrupted fetching " + uri, true, e);
        } catch (Throwable e) {
            throw new FetchException("fetching " + uri + " failed: " + e, true, e);
        }
    }

    private byte[] read(URI target) throws IOException, InterruptedException, FetchException {
        if (target.getScheme().equals("file")) {
            Path path = Path.of(target);
            long size = Files.size(path);
            if (size > settings.maxBytes()) {
                throw tooBig(target, size);
            }
            return Files.readAllBytes(path);
        }
        HttpResponse<InputStream> response =
                http.send(
                        HttpRequest.newBuilder(target).timeout(settings.timeout()).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status >= 500) {
                throw new IOException("HTTP " + status + " from " + target);
            }
            if (status != 200) {
                // The store answered: retrying the same URI will not help.
                throw new FetchException("HTTP " + status + " from " + target, false, null);
            }
            byte[] bytes =
                    body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBytes() + 1));
            if (bytes.length > settings.maxBytes()) {
                throw tooBig(target, bytes.length);
            }
            return bytes;
        }
    }

    private FetchException tooBig(URI target, long size) {
        return new FetchException(
                "artifact "
                        + target
                        + " is "
                        + size
                        + " bytes, over the "
                        + settings.maxBytes()
                        + " limit",
                false,
                null);
    }
}
