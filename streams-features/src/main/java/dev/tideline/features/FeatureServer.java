package dev.tideline.features;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.tideline.ops.OpsServer;
import dev.tideline.schemas.avro.Account;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature stage's small HTTP API.
 *
 * <ul>
 *   <li>{@code GET /features/{entityId}[?at=epochMillis]}: the entity's current features as JSON. A
 *       key owned by another instance is answered with a 307 redirect to that instance.
 *   <li>{@code GET /features/merchant/{merchantId}[?at=epochMillis]}: the merchant features of a
 *       merchant, as a payment there would see them besides itself; redirected the same way.
 *   <li>{@code GET /health}: 200 when the Streams client is RUNNING (ready), else 503; {@code
 *       /health/live} is 200 while it has not failed.
 *   <li>{@code GET /metrics}: Prometheus text.
 * </ul>
 */
final class FeatureServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FeatureServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpsServer ops;
    private volatile KafkaStreams streams;
    private volatile FeatureComputer computer;
    private volatile MerchantComputer merchants;
    private volatile HostInfo self;

    FeatureServer(String host, int port, PrometheusMeterRegistry registry) {
        this.ops = OpsServer.start(host, port, FeatureConfig.HTTP_PORT, registry, this::health);
        ops.context("/features/", this::features);
        // The longer path wins: merchant ids are asked for under their own prefix.
        ops.context("/features/merchant/", this::merchant);
    }

    int port() {
        return ops.port();
    }

    /**
     * @param merchants the spec's merchant features, or null when it has none
     */
    void attach(
            KafkaStreams streams,
            FeatureComputer computer,
            MerchantComputer merchants,
            String advertised) {
        this.computer = computer;
        this.merchants = merchants;
        this.self = HostInfo.buildFromEndpoint(advertised);
        this.streams = streams;
    }

    private void features(HttpExchange ex) throws IOException {
        serve(ex, "/features/", FeatureTopology.ENTITY_STORE, "entity", null, this::entityFeatures);
    }

    private void merchant(HttpExchange ex) throws IOException {
        serve(
                ex,
                "/features/merchant/",
                FeatureTopology.MERCHANT_STORE,
                "merchant",
                merchants == null ? "the feature spec has no merchant features" : null,
                this::merchantFeatures);
    }

    /** Answers a key's query from this instance, which owns the key's partition of the store. */
    private interface Answer {
        void answer(HttpExchange ex, KafkaStreams s, String key, int partition) throws IOException;
    }

    /**
     * What both queries share: GET only, a running Streams client, the key after {@code prefix},
     * and a 307 to the instance that owns it in {@code store}, else {@code answer}.
     *
     * @param absent a 404's reason when this instance has nothing of the kind, else null
     */
    private void serve(
            HttpExchange ex, String prefix, String store, String what, String absent, Answer answer)
            throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, error("use GET"));
                return;
            }
            KafkaStreams s = streams;
            if (s == null || s.state() != KafkaStreams.State.RUNNING) {
                send(ex, 503, error("not ready: " + (s == null ? "starting" : s.state())));
                return;
            }
            if (absent != null) {
                send(ex, 404, error(absent));
                return;
            }
            String raw = ex.getRequestURI().getRawPath().substring(prefix.length());
            String key = URLDecoder.decode(raw, StandardCharsets.UTF_8);
            if (key.isEmpty()) {
                String article = "aeiou".indexOf(what.charAt(0)) >= 0 ? "an " : "a ";
                send(
                        ex,
                        400,
                        error("give " + article + what + " id: " + prefix + "{" + what + "Id}"));
                return;
            }
            KeyQueryMetadata owner =
                    s.queryMetadataForKey(store, key, Serdes.String().serializer());
            if (owner == null || owner == KeyQueryMetadata.NOT_AVAILABLE) {
                send(ex, 503, error("partition metadata unavailable (rebalancing); retry"));
                return;
            }
            if (!owner.activeHost().equals(self)) {
                redirect(ex, owner, prefix, key, what);
                return;
            }
            answer.answer(ex, s, key, owner.partition());
        } catch (InvalidStateStoreException e) {
            send(ex, 503, error("state store not queryable yet (" + e.getMessage() + "); retry"));
        } catch (IllegalArgumentException e) {
            send(ex, 400, error(e.getMessage()));
        } catch (RuntimeException e) {
            log.warn("Feature query {} failed", ex.getRequestURI(), e);
            send(ex, 500, error(e.toString()));
        }
    }

    private void entityFeatures(HttpExchange ex, KafkaStreams s, String entity, int partition)
            throws IOException {
        ReadOnlyKeyValueStore<String, byte[]> entities =
                s.store(
                        StoreQueryParameters.fromNameAndType(
                                        FeatureTopology.ENTITY_STORE,
                                        QueryableStoreTypes.<String, byte[]>keyValueStore())
                                .withPartition(partition));
        ReadOnlyKeyValueStore<String, ValueAndTimestamp<Account>> accounts =
                s.store(
                        StoreQueryParameters.fromNameAndType(
                                        FeatureTopology.ACCOUNT_STORE,
                                        QueryableStoreTypes
                                                .<String, Account>timestampedKeyValueStore())
                                .withPartition(partition));
        byte[] state = entities.get(entity);
        if (state == null || !computer.layout().compatible(state)) {
            send(ex, 404, error("no feature state for entity " + entity));
            return;
        }
        long latest = StateLayout.latestEventTime(state);
        long at = queryLong(ex, "at", latest);
        ValueAndTimestamp<Account> account = accounts.get(entity);
        Profile profile =
                account == null || account.value() == null ? null : Profile.of(account.value());
        ObjectNode body = JSON.createObjectNode();
        FeatureSpec spec = computer.spec();
        body.put("entity_id", entity);
        body.put("spec_id", spec.id());
        body.put("spec_version", spec.version());
        body.put("spec_fingerprint", spec.fingerprint());
        body.put("as_of", Instant.ofEpochMilli(at).toString());
        body.put("latest_event_time", Instant.ofEpochMilli(latest).toString());
        body.put("served_by", self.host() + ":" + self.port());
        ObjectNode values = body.putObject("features");
        for (Map.Entry<String, Double> e : computer.current(state, at, profile).entrySet()) {
            values.put(e.getKey(), e.getValue());
        }
        send(ex, 200, body);
    }

    private void merchantFeatures(HttpExchange ex, KafkaStreams s, String merchant, int partition)
            throws IOException {
        ReadOnlyKeyValueStore<String, byte[]> store =
                s.store(
                        StoreQueryParameters.fromNameAndType(
                                        FeatureTopology.MERCHANT_STORE,
                                        QueryableStoreTypes.<String, byte[]>keyValueStore())
                                .withPartition(partition));
        byte[] state = store.get(merchant);
        MerchantComputer m = merchants;
        if (state == null || !m.state().compatible(state)) {
            send(ex, 404, error("no feature state for merchant " + merchant));
            return;
        }
        long latest = MerchantState.latestPayment(state);
        long at = queryLong(ex, "at", latest);
        FeatureSpec spec = m.spec();
        ObjectNode body = JSON.createObjectNode();
        body.put("merchant_id", merchant);
        body.put("spec_id", spec.id());
        body.put("spec_version", spec.version());
        body.put("spec_fingerprint", spec.fingerprint());
        body.put("as_of", Instant.ofEpochMilli(at).toString());
        body.put("latest_payment_time", Instant.ofEpochMilli(latest).toString());
        body.put("served_by", self.host() + ":" + self.port());
        ObjectNode values = body.putObject("features");
        m.current(state, at).forEach(values::put);
        send(ex, 200, body);
    }

    /** A 307 to the instance that owns {@code key}, with the same path and query. */
    private static void redirect(
            HttpExchange ex, KeyQueryMetadata owner, String prefix, String key, String what)
            throws IOException {
        String query = ex.getRequestURI().getRawQuery();
        String location =
                "http://"
                        + owner.activeHost().host()
                        + ":"
                        + owner.activeHost().port()
                        + prefix
                        + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20")
                        + (query == null ? "" : "?" + query);
        ex.getResponseHeaders().add("Location", location);
        send(ex, 307, error(what + " " + key + " is served by " + owner.activeHost()));
    }

    private OpsServer.Health health(String path) {
        KafkaStreams s = streams;
        KafkaStreams.State state = s == null ? null : s.state();
        boolean live =
                state != null
                        && state != KafkaStreams.State.ERROR
                        && state != KafkaStreams.State.NOT_RUNNING
                        && state != KafkaStreams.State.PENDING_ERROR;
        boolean ready = state == KafkaStreams.State.RUNNING;
        ObjectNode body = JSON.createObjectNode();
        body.put("streams", String.valueOf(state));
        body.put("live", live);
        body.put("ready", ready);
        return new OpsServer.Health(path.equals("/health/live") ? live : ready, body.toString());
    }

    private static long queryLong(HttpExchange ex, String name, long dflt) {
        String query = ex.getRequestURI().getRawQuery();
        if (query == null) {
            return dflt;
        }
        for (String part : query.split("&")) {
            if (part.startsWith(name + "=")) {
                String v =
                        URLDecoder.decode(
                                part.substring(name.length() + 1), StandardCharsets.UTF_8);
                try {
                    return Long.parseLong(v);
                } catch (NumberFormatException e) {
                    try {
                        return Instant.parse(v).toEpochMilli();
                    } catch (RuntimeException bad) {
                        throw new IllegalArgumentException(
                                name
                                        + "="
                                        + v
                                        + " is neither epoch milliseconds nor an ISO-8601 instant");
                    }
                }
            }
        }
        return dflt;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        OpsServer.send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    @Override
    public void close() {
        ops.close();
    }
}
