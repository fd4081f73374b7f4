package dev.tideline.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * How to reach a schema registry. The keys are those of Confluent's serializers, so existing client
 * configurations carry over unchanged.
 */
public final class RegistryClientConfig {

    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_SOURCE = "bearer.auth.credentials.source";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String RETRIES = "schema.registry.retries";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

    /** The definition of every key, with defaults and validators. */
    public static final ConfigDef DEFINITION =
            new ConfigDef()
                    .define(
                            URL,
                            Type.LIST,
                            ConfigDef.NO_DEFAULT_VALUE,
                            Importance.HIGH,
                            "Comma-separated base URLs of the registry's Confluent-compatible API;"
                                    + " tried in order when one cannot be reached.")
                    .define(
                            BASIC_AUTH_SOURCE,
                            Type.STRING,
                            "",
                            ValidString.in("", "USER_INFO", "URL"),
                            Importance.MEDIUM,
                            "Where basic-auth credentials come from: USER_INFO (the"
                                    + " basic.auth.user.info key) or URL (user:password@ in the"
                                    + " URL). Empty: no basic auth.")
                    .define(
                            BASIC_AUTH_USER_INFO,
                            Type.PASSWORD,
                            null,
                            Importance.MEDIUM,
                            "user:password for basic auth.")
                    .define(
                            BEARER_AUTH_SOURCE,
                            Type.STRING,
                            "",
                            ValidString.in("", "STATIC_TOKEN"),
                            Importance.MEDIUM,
                            "STATIC_TOKEN sends bearer.auth.token on every request.")
                    .define(
                            BEARER_AUTH_TOKEN,
                            Type.PASSWORD,
                            null,
                            Importance.MEDIUM,
                            "The bearer token.")
                    .define(
                            AUTO_REGISTER,
                            Type.BOOLEAN,
                            true,
                            Importance.MEDIUM,
                            "Register the writer's schema if the subject lacks it; when false the"
                                    + " schema must already be registered.")
                    .define(
                            RETRIES,
                            Type.INT,
                            5,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Retries of a request that failed with a 5xx or a connection error.")
                    .define(
                            RETRY_BACKOFF_MS,
                            Type.LONG,
                            100L,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "First back-off between retries; doubles each retry.")
                    .define(
                            RETRY_BACKOFF_MAX_MS,
                            Type.LONG,
                            5_000L,
                            ConfigDef.Range.atLeast(0),
                            Importance.LOW,
                            "Longest back-off between retries.")
                    .define(
                            REQUEST_TIMEOUT_MS,
                            Type.LONG,
                            10_000L,
                            ConfigDef.Range.atLeast(1),
                            Importance.LOW,
                            "Timeout of one HTTP request.")
                    .define(
                            SSL_TRUSTSTORE_LOCATION,
                            Type.STRING,
                            null,
                            Importance.MEDIUM,
                            "Truststore of the certificates an https registry URL is checked"
                                    + " against; the JVM's default ones when unset.")
                    .define(
                            SSL_TRUSTSTORE_PASSWORD,
                            Type.PASSWORD,
                            null,
                            Importance.MEDIUM,
                            "The truststore's password.")
                    .define(
                            SSL_TRUSTSTORE_TYPE,
                            Type.STRING,
                            "PKCS12",
                            ValidString.in("PKCS12", "JKS"),
                            Importance.LOW,
                            "The truststore's format.");

    private final List<URI> urls;
    private final Optional<String> authorization;
    private final boolean autoRegister;
    private final int retries;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final Duration requestTimeout;
    private final Optional<SSLContext> sslContext;

    private RegistryClientConfig(Map<String, ?> props) {
        AbstractConfig config = new AbstractConfig(DEFINITION, props, false);
        List<String> raw = config.getList(URL);
        if (raw.isEmpty()) {
            throw new ConfigException(URL, "", "at least one registry URL is required");
        }
        List<URI> parsed = new ArrayList<>();
        String urlUserInfo = null;
        for (String u : raw) {
            URI uri;
            try {
                uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(URL, u, "not a URL: " + e.getMessage());
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new ConfigException(URL, u, "must be an http or https URL");
            }
            if (uri.getRawUserInfo() != null) {
                urlUserInfo = uri.getUserInfo();
                uri =
                        URI.create(
                                uri.getScheme()
                                        + "://"
                                        + uri.getHost()
                                        + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                                        + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            parsed.add(uri);
        }
        this.urls = List.copyOf(parsed);

        String basicSource = config.getString(BASIC_AUTH_SOURCE);
        String bearerSource = config.getString(BEARER_AUTH_SOURCE);
        if (!basicSource.isEmpty() && !bearerSource.isEmpty()) {
            throw new ConfigException(
                    BEARER_AUTH_SOURCE,
                    bearerSource,
                    "choose basic or bearer authentication, not both ("
                            + BASIC_AUTH_SOURCE
                            + "="
                            + basicSource
                            + ")");
        }
        Optional<String> auth = Optional.empty();
        if (basicSource.equals("USER_INFO")) {
            Password info = config.getPassword(BASIC_AUTH_USER_INFO);
            if (info == null || !info.value().contains(":")) {
                throw new ConfigException(
                        BASIC_AUTH_USER_INFO,
                        "[hidden]",
                        "must be user:password when " + BASIC_AUTH_SOURCE + "=USER_INFO");
            }
            auth = Optional.of(basic(info.value()));
        } else if (basicSource.equals("URL")) {
            if (urlUserInfo == null) {
                throw new ConfigException(
                        URL,
                        raw.get(0),
                        "has no user:password@ although " + BASIC_AUTH_SOURCE + "=URL");
            }
            auth = Optional.of(basic(urlUserInfo));
        } else if (bearerSource.equals("STATIC_TOKEN")) {
            Password token = config.getPassword(BEARER_AUTH_TOKEN);
            if (token == null || token.value().isBlank()) {
                throw new ConfigException(
                        BEARER_AUTH_TOKEN,
                        "[hidden]",
                        "must be set when " + BEARER_AUTH_SOURCE + "=STATIC_TOKEN");
            }
            auth = Optional.of("Bearer " + token.value());
        }
        this.authorization = auth;
        this.autoRegister = config.getBoolean(AUTO_REGISTER);
        this.retries = config.getInt(RETRIES);
        this.backoff = Duration.ofMillis(config.getLong(RETRY_BACKOFF_MS));
        this.maxBackoff = Duration.ofMillis(config.getLong(RETRY_BACKOFF_MAX_MS));
        this.requestTimeout = Duration.ofMillis(config.getLong(REQUEST_TIMEOUT_MS));
        String truststore = config.getString(SSL_TRUSTSTORE_LOCATION);
        this.sslContext =
                truststore == null || truststore.isBlank()
                        ? Optional.empty()
                        : Optional.of(
                                trusting(
                                        Path.of(truststore),
                                        config.getString(SSL_TRUSTSTORE_TYPE),
                                        config.getPassword(SSL_TRUSTSTORE_PASSWORD)));
    }

    /** TLS that trusts exactly the certificates of {@code truststore}. */
    private static SSLContext trusting(Path truststore, String type, Password password) {
        char[] pw = password == null ? null : password.value().toCharArray();
        try (InputStream in = Files.newInputStream(truststore)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, pw);
            TrustManagerFactory trust =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(
                    SSL_TRUSTSTORE_LOCATION,
                    truststore.toString(),
                    "cannot read the truststore: " + e.getMessage());
        }
    }

    /**
     * Parses and validates a configuration; keys it does not know are ignored so that a whole
     * producer or consumer configuration can be passed.
     *
     * @throws ConfigException naming the key, for a missing or invalid value
     */
    public static RegistryClientConfig from(Map<String, ?> props) {
        return new RegistryClientConfig(props);
    }

    /** A configuration for one URL with defaults for everything else. */
    public static RegistryClientConfig forUrl(String url) {
        return from(Map.of(URL, url));
    }

    private static String basic(String userInfo) {
        return "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    public List<URI> urls() {
        return urls;
    }

    /** The Authorization header value, when authentication is configured. */
    Optional<String> authorization() {
        return authorization;
    }

    public boolean autoRegister() {
        return autoRegister;
    }

    public int retries() {
        return retries;
    }

    public Duration backoff() {
        return backoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** TLS for https URLs from the configured truststore; empty: the JVM's default. */
    public Optional<SSLContext> sslContext() {
        return sslContext;
    }
}
