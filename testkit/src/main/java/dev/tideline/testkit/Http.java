package dev.tideline.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP for tests of the engines' endpoints. */
public final class Http {

    private static final HttpClient CLIENT =
            HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
    private static final HttpClient FOLLOWING =
            HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();

    private Http() {}

    /** GET with a five-second timeout; a redirect is the answer. */
    public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(CLIENT, url);
    }

    /** GET with a five-second timeout, following redirects. */
    public static HttpResponse<String> getFollowingRedirects(String url)
            throws IOException, InterruptedException {
        return send(FOLLOWING, url);
    }

    private static HttpResponse<String> send(HttpClient client, String url)
            throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A port that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
