package dev.tideline.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API, for Avro schemas.
 *
 * <p>Works against any registry that speaks that API: Confluent Platform and Cloud, Karapace,
 * Redpanda, and Apicurio under {@code /apis/ccompat/v7}. Ids and schemas are cached both ways, so a
 * steady-state producer or consumer makes no HTTP calls. Requests that fail with a 5xx or a
 * connection error are retried with exponential back-off and jitter, moving on to the next
 * configured URL; 4xx answers are mapped to specific exceptions and never retried.
 *
 * <p>Thread-safe; share one instance per registry.
 */
public final class SchemaRegistryClient {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json;"
                    + " q=0.9, application/json; q=0.5";

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private volatile int preferredUrl;

    public SchemaRegistryClient(RegistryClientConfig config) {
        this.config = config;
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .connectTimeout(config.requestTimeout())
                        .followRedirects(HttpClient.Redirect.NORMAL);
        config.sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    public RegistryClientConfig config() {
        return config;
    }

    /**
     * Registers a schema under a subject, or returns the id it already has there.
     *
     * @throws IncompatibleSchemaException when the subject's compatibility rule refuses it
     */
    public int register(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = json.createObjectNode().put("schema", schema.toString());
        JsonNode response =
                send("POST", "/subjects/" + encode(subject) + "/versions", body, subject);
        int id = response.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(
                    "registering under " + subject + " returned no id: " + response, null);
        }
        remember(subject, schema, id);
        return id;
    }

    /**
     * Finds the id of a schema already registered under a subject.
     *
     * @throws SchemaNotFoundException when the subject or the schema under it does not exist
     */
    public RegisteredSchema lookup(String subject, Schema schema) {
        ObjectNode body = json.createObjectNode().put("schema", schema.toString());
        JsonNode response = send("POST", "/subjects/" + encode(subject), body, subject);
        RegisteredSchema found =
                new RegisteredSchema(
                        subject,
                        response.path("version").asInt(),
                        response.path("id").asInt(),
                        schema);
        remember(subject, schema, found.id());
        return found;
    }

    /** Like {@link #lookup} but answered from the cache when possible; returns only the id. */
    public int idOf(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        return cached != null ? cached : lookup(subject, schema).id();
    }

    /**
     * The schema with a registry-wide id.
     *
     * @throws SchemaNotFoundException when no schema has that id
     */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode response = send("GET", "/schemas/ids/" + id, null, "schema id " + id);
        String type = response.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(
                    "schema id " + id + " is a " + type + " schema, not Avro", 200, -1, null);
        }
        Schema schema = parse(response.path("schema").asText(), "schema id " + id);
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** The latest version of a subject. */
    public RegisteredSchema latest(String subject) {
        JsonNode response =
                send("GET", "/subjects/" + encode(subject) + "/versions/latest", null, subject);
        Schema schema = parse(response.path("schema").asText(), subject);
        int id = response.path("id").asInt();
        remember(subject, schema, id);
        return new RegisteredSchema(subject, response.path("version").asInt(), id, schema);
    }

    /** Every subject in the registry. */
    public List<String> subjects() {
        JsonNode response = send("GET", "/subjects", null, "subjects");
        List<String> subjects = new ArrayList<>();
        response.forEach(n -> subjects.add(n.asText()));
        return subjects;
    }

    /**
     * Whether a schema could be registered as the next version of a subject, by the subject's
     * compatibility rule.
     *
     * @throws SchemaNotFoundException when the subject has no versions yet
     */
    public CompatibilityResult testCompatibility(String subject, Schema schema) {
        ObjectNode body = json.createObjectNode().put("schema", schema.toString());
        JsonNode response =
                send(
                        "POST",
                        "/compatibility/subjects/"
                                + encode(subject)
                                + "/versions/latest?verbose=true",
                        body,
                        subject);
        List<String> messages = new ArrayList<>();
        response.path("messages").forEach(m -> messages.add(m.asText()));
        return new CompatibilityResult(
                response.path("is_compatible").asBoolean(false), List.copyOf(messages));
    }

    /** Sets the compatibility rule of one subject. */
    public void setCompatibility(String subject, CompatibilityLevel level) {
        ObjectNode body = json.createObjectNode().put("compatibility", level.name());
        send("PUT", "/config/" + encode(subject), body, subject);
    }

    /** The compatibility rule set on one subject, when the registry reports one. */
    public Optional<CompatibilityLevel> compatibility(String subject) {
        try {
            JsonNode response = send("GET", "/config/" + encode(subject), null, subject);
            String level = response.path("compatibilityLevel").asText(null);
            if (level == null) {
                level = response.path("compatibility").asText(null);
            }
            return Optional.ofNullable(level).map(CompatibilityLevel::valueOf);
        } catch (SchemaNotFoundException e) {
            return Optional.empty();
        }
    }

    private Integer cachedId(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.get(subject);
        return ids == null ? null : ids.get(schema);
    }

    private void remember(String subject, Schema schema, int id) {
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static Schema parse(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(
                    "the registry returned an unparseable schema for "
                            + what
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Sends one request, retrying 5xx answers and connection errors with back-off across the
     * configured URLs, and maps error answers to exceptions.
     *
     * @param what the subject or id the request is about, for messages
     */
    private JsonNode send(String method, String path, JsonNode body, String what) {
        HttpRequest.BodyPublisher publisher =
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString());
        List<URI> urls = config.urls();
        Duration backoff = config.backoff();
        RuntimeException last = null;
        for (int attempt = 0; attempt <= config.retries(); attempt++) {
            int index = (preferredUrl + attempt) % urls.size();
            URI url = URI.create(urls.get(index) + path);
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(url)
                            .timeout(config.requestTimeout())
                            .header("Accept", ACCEPT)
                            .method(method, publisher);
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            config.authorization().ifPresent(a -> request.header("Authorization", a));
            try {
                HttpResponse<String> response =
                        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    preferredUrl = index;
                    return response.body().isEmpty()
                            ? json.createObjectNode()
                            : json.readTree(response.body());
                }
                RuntimeException error = toException(method, url, what, status, response.body());
                if (status < 500 && status != 429) {
                    throw error;
                }
                last = error;
            } catch (IOException e) {
                last =
                        new SchemaRegistryException(
                                method + " " + url + " (" + what + ") failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(
                        "interrupted during " + method + " " + url + " (" + what + ")", e);
            }
            if (attempt < config.retries()) {
                log.debug(
                        "registry request failed, retrying in {}: {}", backoff, last.getMessage());
                pause(backoff);
                backoff = min(backoff.multipliedBy(2), config.maxBackoff());
            }
        }
        throw new SchemaRegistryException(
                "giving up on the schema registry after "
                        + (config.retries() + 1)
                        + " attempts at "
                        + urls
                        + ": "
                        + last.getMessage(),
                last);
    }

    private RuntimeException toException(
            String method, URI url, String what, int status, String body) {
        int code = -1;
        String message = body;
        try {
            JsonNode error = json.readTree(body);
            code = error.path("error_code").asInt(-1);
            message = error.path("message").asText(body);
        } catch (IOException | RuntimeException e) {
            // not JSON: keep the raw body
        }
        String context = method + " " + url.getRawPath() + " (" + what + "): HTTP " + status;
        return switch (status) {
            case 404 -> new SchemaNotFoundException(context + ": " + message, code);
            case 409 ->
                    new IncompatibleSchemaException(
                            what,
                            "schema rejected as incompatible with subject "
                                    + what
                                    + " ("
                                    + context
                                    + "): "
                                    + message,
                            code);
            case 401, 403 ->
                    new RegistryAuthException(
                            context + ": check the registry credentials: " + message, status, code);
            default -> new SchemaRegistryException(context + ": " + message, status, code, null);
        };
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void pause(Duration backoff) {
        long millis = backoff.toMillis();
        long jittered = millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1);
        try {
            Thread.sleep(jittered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while backing off", e);
        }
    }
}
