package dev.tideline.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a KRaft Kafka cluster, a schema registry speaking the Confluent REST API
 * and a PostgreSQL server with logical decoding, all on free loopback ports.
 *
 * <p>Each part can be replaced by an external address, so the same code runs against a real
 * cluster. {@link #close()} stops everything it started and deletes its files; if the JVM is killed
 * instead, a reaper process stops the child processes and deletes the files.
 */
public final class LocalStack implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

    /** Path of the Confluent-compatible API on the embedded Apicurio registry. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

    private final Path root;
    private final StackReaper reaper;
    private final EmbeddedKafkaCluster kafka;
    private final RegistryServer registry;
    private final PostgresServer postgres;
    private final String bootstrapServers;
    private final String registryUrl;
    private final Optional<JdbcEndpoint> jdbc;
    private final Map<String, Duration> startupTimes;
    private final Thread shutdownHook;
    private boolean closed;

    /** Where and how to reach a PostgreSQL database. */
    public record JdbcEndpoint(String url, String user, String password) {}

    private LocalStack(Builder b) throws Exception {
        root =
                b.workDir != null
                        ? Files.createDirectories(b.workDir)
                        : Files.createTempDirectory("tideline-stack-");
        reaper = StackReaper.start(root);
        Map<String, Duration> times = Collections.synchronizedMap(new LinkedHashMap<>());
        ExecutorService starter = Executors.newFixedThreadPool(3, daemonThreads());
        CompletableFuture<EmbeddedKafkaCluster> kafkaF =
                b.externalBootstrap != null
                        ? CompletableFuture.completedFuture(null)
                        : timed(
                                "kafka",
                                times,
                                starter,
                                () ->
                                        EmbeddedKafkaCluster.start(
                                                b.brokers,
                                                b.controllers,
                                                root.resolve("kafka"),
                                                b.brokerConfig,
                                                b.kafkaTls));
        CompletableFuture<RegistryServer> registryF =
                b.externalRegistry != null || !b.registry
                        ? CompletableFuture.completedFuture(null)
                        : timed(
                                "registry",
                                times,
                                starter,
                                () ->
                                        RegistryServer.start(
                                                RegistryDistribution.runnerJar(
                                                        b.registryDistribution, b.cacheDir),
                                                root.resolve("registry"),
                                                reaper));
        CompletableFuture<PostgresServer> postgresF =
                b.externalJdbcUrl != null || !b.postgres
                        ? CompletableFuture.completedFuture(null)
                        : timed(
                                "postgres",
                                times,
                                starter,
                                () -> PostgresServer.start(root.resolve("postgres"), reaper));
        starter.shutdown();
        try {
            CompletableFuture.allOf(kafkaF, registryF, postgresF).join();
        } catch (CompletionException e) {
            // Stop whatever did start, then report the first failure.
            closeQuietly(kafkaF.exceptionally(t -> null).join());
            closeQuietly(registryF.exceptionally(t -> null).join());
            closeQuietly(postgresF.exceptionally(t -> null).join());
            reaper.close();
            RegistryDistribution.deleteRecursively(root);
            Throwable cause = e.getCause();
            throw cause instanceof Exception ex ? ex : e;
        }
        kafka = kafkaF.join();
        registry = registryF.join();
        postgres = postgresF.join();
        bootstrapServers = kafka != null ? kafka.bootstrapServers() : b.externalBootstrap;
        registryUrl =
                registry != null
                        ? registry.baseUrl() + CCOMPAT_PATH
                        : b.externalRegistry; // may be null when the registry is off
        if (postgres != null) {
            jdbc = Optional.of(new JdbcEndpoint(postgres.jdbcUrl(), PostgresServer.USER, ""));
        } else {
            jdbc =
                    Optional.ofNullable(b.externalJdbcUrl)
                            .map(url -> new JdbcEndpoint(url, b.jdbcUser, b.jdbcPassword));
        }
        Map<String, Duration> ordered = new LinkedHashMap<>();
        for (String part : List.of("kafka", "registry", "postgres")) {
            if (times.containsKey(part)) {
                ordered.put(part, times.get(part));
            }
        }
        startupTimes = Collections.unmodifiableMap(ordered);
        shutdownHook = new Thread(this::close, "tideline-local-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        log.info("local stack up in {}: {}", root, describeStartup());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Kafka bootstrap servers, {@code host:port[,host:port...]}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Base URL of the schema registry's Confluent-compatible REST API.
     *
     * @throws IllegalStateException when the stack runs without a registry
     */
    public String registryUrl() {
        if (registryUrl == null) {
            throw new IllegalStateException("this stack runs without a schema registry");
        }
        return registryUrl;
    }

    /**
     * The PostgreSQL database.
     *
     * @throws IllegalStateException when the stack runs without PostgreSQL
     */
    public JdbcEndpoint jdbc() {
        return jdbc.orElseThrow(
                () -> new IllegalStateException("this stack runs without PostgreSQL"));
    }

    public boolean hasPostgres() {
        return jdbc.isPresent();
    }

    /**
     * Restarts the embedded PostgreSQL server on its data and port: its sessions and replication
     * connections are cut, as by a database restart in production.
     *
     * @throws IllegalStateException when this stack did not start PostgreSQL itself
     */
    public void restartPostgres() throws IOException {
        if (postgres == null) {
            throw new IllegalStateException("this stack did not start PostgreSQL");
        }
        postgres.restart();
    }

    /** The embedded Kafka cluster, when this stack started one (not for an external cluster). */
    public Optional<EmbeddedKafkaCluster> kafkaCluster() {
        return Optional.ofNullable(kafka);
    }

    /** How long each embedded part took to start, in start order. */
    public Map<String, Duration> startupTimes() {
        return startupTimes;
    }

    /** For example {@code kafka 1.31 s, registry 3.02 s, postgres 0.94 s}. */
    public String describeStartup() {
        List<String> parts = new ArrayList<>();
        startupTimes.forEach(
                (part, d) -> parts.add(String.format("%s %.2f s", part, d.toMillis() / 1000.0)));
        return parts.isEmpty() ? "nothing embedded" : String.join(", ", parts);
    }

    /**
     * Has the stack's reaper stop {@code process} (SIGTERM, then SIGKILL) if this JVM dies without
     * closing the stack, as it does the registry and PostgreSQL: for processes started beside the
     * stack, such as an engine in a JVM of its own.
     */
    public void reapWithStack(Process process) {
        reaper.register("TERM", process.pid());
    }

    /** The directory holding the stack's data and logs; deleted on close. */
    public Path workDir() {
        return root;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
        closeQuietly(postgres);
        closeQuietly(registry);
        closeQuietly(kafka);
        reaper.close();
        try {
            RegistryDistribution.deleteRecursively(root);
        } catch (RuntimeException e) {
            log.warn("could not delete the stack directory {}: {}", root, e.getMessage());
        }
        log.info("local stack stopped");
    }

    private static void closeQuietly(AutoCloseable part) {
        if (part == null) {
            return;
        }
        try {
            part.close();
        } catch (Exception e) {
            log.warn("error stopping {}: {}", part.getClass().getSimpleName(), e.toString());
        }
    }

    private interface Starter<T> {
        T start() throws Exception;
    }

    private static <T> CompletableFuture<T> timed(
            String part, Map<String, Duration> times, ExecutorService pool, Starter<T> starter) {
        return CompletableFuture.supplyAsync(
                () -> {
                    long t0 = System.nanoTime();
                    try {
                        T started = starter.start();
                        Duration took = Duration.ofNanos(System.nanoTime() - t0);
                        times.put(part, took);
                        log.info("{} started in {} ms", part, took.toMillis());
                        return started;
                    } catch (Exception e) {
                        throw new CompletionException(
                                new LocalStackException("cannot start " + part + ": " + e, e));
                    }
                },
                pool);
    }

    private static ThreadFactory daemonThreads() {
        return r -> {
            Thread t = new Thread(r, "tideline-local-stack-start");
            t.setDaemon(true);
            return t;
        };
    }

    /** Chooses which parts to embed and which to reach at an external address. */
    public static final class Builder {

        /** Configuration keys understood by {@link #configure(Map)}. */
        public static final Set<String> KEYS =
                Set.of(
                        "tideline.stack.kafka.bootstrap-servers",
                        "tideline.stack.kafka.brokers",
                        "tideline.stack.kafka.controllers",
                        "tideline.stack.registry.url",
                        "tideline.stack.registry.enabled",
                        "tideline.stack.registry.distribution",
                        "tideline.stack.postgres.enabled",
                        "tideline.stack.postgres.jdbc-url",
                        "tideline.stack.postgres.user",
                        "tideline.stack.postgres.password",
                        "tideline.stack.work-dir",
                        "tideline.stack.cache-dir");

        private int brokers = 1;
        private int controllers = 1;
        private final Map<String, String> brokerConfig = new TreeMap<>();
        private String externalBootstrap;
        private String externalRegistry;
        private String externalJdbcUrl;
        private String jdbcUser = "postgres";
        private String jdbcPassword = "";
        private boolean jdbcCredentialsSet;
        private boolean registry = true;
        private boolean postgres = true;
        private Path registryDistribution;
        private Path workDir;
        private Path cacheDir = defaultCacheDir();
        private KafkaTls kafkaTls;

        private Builder() {}

        /**
         * Applies {@code tideline.stack.*} keys; refuses unknown keys and bad values, naming the
         * key.
         */
        public Builder configure(Map<String, String> config) {
            config.forEach(
                    (key, value) -> {
                        if (!key.startsWith("tideline.stack.")) {
                            return;
                        }
                        if (!KEYS.contains(key)) {
                            throw new IllegalArgumentException(
                                    "unknown local stack setting "
                                            + key
                                            + "; known settings are "
                                            + new TreeSet<>(KEYS));
                        }
                        apply(key, value.trim());
                    });
            return this;
        }

        private void apply(String key, String value) {
            switch (key) {
                case "tideline.stack.kafka.bootstrap-servers" -> externalKafka(value);
                case "tideline.stack.kafka.brokers" -> brokers = positiveInt(key, value);
                case "tideline.stack.kafka.controllers" -> controllers = positiveInt(key, value);
                case "tideline.stack.registry.url" -> externalRegistry(value);
                case "tideline.stack.registry.enabled" -> registry = bool(key, value);
                case "tideline.stack.registry.distribution" ->
                        registryDistribution = Path.of(value);
                case "tideline.stack.postgres.enabled" -> postgres = bool(key, value);
                case "tideline.stack.postgres.jdbc-url" -> externalJdbcUrl = value;
                case "tideline.stack.postgres.user" -> {
                    jdbcUser = value;
                    jdbcCredentialsSet = true;
                }
                case "tideline.stack.postgres.password" -> {
                    jdbcPassword = value;
                    jdbcCredentialsSet = true;
                }
                case "tideline.stack.work-dir" -> workDir = Path.of(value);
                case "tideline.stack.cache-dir" -> cacheDir = Path.of(value);
                default -> throw new IllegalStateException("unhandled key " + key);
            }
        }

        private static int positiveInt(String key, String value) {
            try {
                int n = Integer.parseInt(value);
                if (n < 1) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        key + " must be a positive integer, got '" + value + "'");
            }
        }

        private static boolean bool(String key, String value) {
            if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(value);
            }
            throw new IllegalArgumentException(key + " must be true or false, got '" + value + "'");
        }

        /** Brokers and dedicated controllers; one of each runs as a single combined node. */
        public Builder kafkaNodes(int brokers, int controllers) {
            this.brokers = brokers;
            this.controllers = controllers;
            return this;
        }

        /** A broker setting applied to every embedded broker. */
        public Builder brokerConfig(String key, String value) {
            brokerConfig.put(key, value);
            return this;
        }

        /**
         * Secures the embedded broker: clients reach {@link LocalStack#bootstrapServers()} with
         * SASL_SSL and SCRAM-SHA-512, an authorizer denies what no ACL allows, and {@link
         * EmbeddedKafkaCluster#operatorClient()} is the super user that creates users and ACLs. One
         * combined node.
         */
        public Builder secureKafka(KafkaTls tls) {
            this.kafkaTls = tls;
            return this;
        }

        /** Use an existing Kafka cluster instead of starting one. */
        public Builder externalKafka(String bootstrapServers) {
            if (bootstrapServers.isBlank()) {
                throw new IllegalArgumentException(
                        "tideline.stack.kafka.bootstrap-servers must not be blank");
            }
            this.externalBootstrap = bootstrapServers;
            return this;
        }

        /** Use an existing registry (its Confluent-compatible base URL) instead of starting one. */
        public Builder externalRegistry(String url) {
            if (!url.startsWith("http://") && !url.startsWith("https://")) {
                throw new IllegalArgumentException(
                        "tideline.stack.registry.url must be an http(s) URL, got '" + url + "'");
            }
            this.externalRegistry = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            return this;
        }

        /** Use an existing PostgreSQL database instead of starting one. */
        public Builder externalPostgres(String jdbcUrl, String user, String password) {
            this.externalJdbcUrl = jdbcUrl;
            this.jdbcUser = user;
            this.jdbcPassword = password;
            return this;
        }

        /** Start without a schema registry (tests that need only Kafka). */
        public Builder withoutRegistry() {
            this.registry = false;
            return this;
        }

        /** Start without PostgreSQL (stages that do not read the database). */
        public Builder withoutPostgres() {
            this.postgres = false;
            return this;
        }

        /** Keep data and logs here instead of in a fresh temp directory. */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Where the unpacked registry distribution is cached between runs. */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** Starts every embedded part in parallel and waits until all are ready. */
        public LocalStack start() {
            if (jdbcCredentialsSet && externalJdbcUrl == null) {
                throw new IllegalArgumentException(
                        "tideline.stack.postgres.user/password need"
                                + " tideline.stack.postgres.jdbc-url");
            }
            try {
                return new LocalStack(this);
            } catch (LocalStackException e) {
                throw e;
            } catch (IOException e) {
                throw new LocalStackException("cannot start the local stack: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LocalStackException("interrupted while starting the local stack", e);
            } catch (Exception e) {
                throw new LocalStackException("cannot start the local stack: " + e, e);
            }
        }

        private static Path defaultCacheDir() {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base =
                    xdg != null && !xdg.isBlank()
                            ? Path.of(xdg)
                            : Path.of(System.getProperty("user.home"), ".cache");
            return base.resolve("tideline");
        }
    }
}
