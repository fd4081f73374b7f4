package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.ops.security.PipelineAcls;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryAuthException;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.testkit.AuthenticatingProxy;
import dev.tideline.testkit.TestTls;
import dev.tideline.testkit.Topics;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on a secured cluster: the broker speaks only TLS, every client authenticates
 * with SASL/SCRAM, and an authorizer lets each part do only what its ACLs ({@link PipelineAcls})
 * allow. Each engine has its own principal, its password in a file read by Kafka's file config
 * provider: the settings hold only references, so neither the logs nor a command line show a
 * secret. Clients without credentials, with a wrong password, or with valid credentials but no ACL
 * get nothing in and nothing out.
 */
@Tag("integration")
class SecuredPipelineIT {

    private static final List<String> PRINCIPALS =
            List.of("features", "serving", "training", "cdc", "demo", "intruder");

    @Test
    void eachPartRunsWithItsOwnCredentialsAndNothingElseGetsIn(@TempDir Path dir) throws Exception {
        Capture logs = Capture.install();
        try {
            run(dir, logs);
        } finally {
            logs.stop();
        }
    }

    private void run(Path dir, Capture logs) throws Exception {
        TestTls tls = TestTls.generate(dir.resolve("tls"), "tideline-node");
        Map<String, String> passwords = new LinkedHashMap<>();
        PRINCIPALS.forEach(p -> passwords.put(p, TestTls.password()));
        Path secrets = dir.resolve("secrets.properties");
        StringBuilder lines = new StringBuilder();
        passwords.forEach((p, pw) -> lines.append(p).append(".password=").append(pw).append('\n'));
        lines.append("truststore.password=").append(tls.truststorePassword()).append('\n');
        Files.writeString(secrets, lines);
        Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rw-------"));

        // The registry behind TLS and basic authentication, as a reverse proxy deploys it.
        String registryPassword = TestTls.password();
        try (LocalStack stack =
                        LocalStack.builder()
                                .workDir(dir.resolve("stack"))
                                .secureKafka(tls.broker())
                                .start();
                AuthenticatingProxy proxy =
                        AuthenticatingProxy.start(
                                URI.create(stack.registryUrl()),
                                tls,
                                "tideline",
                                registryPassword)) {
            String registryUrl = proxy.baseUrl() + LocalStack.CCOMPAT_PATH;
            Map<String, Object> operator = stack.kafkaCluster().orElseThrow().operatorClient();
            SchemaRegistryClient registry = ClientSettings.registry(stack.registryUrl(), Map.of());
            TopicCatalog catalog = TopicCatalog.create(new TopicCatalogConfig(Map.of()), registry);
            try (Admin admin = Admin.create(operator)) {
                List<UserScramCredentialAlteration> users = new ArrayList<>();
                passwords.forEach(
                        (p, pw) ->
                                users.add(
                                        new UserScramCredentialUpsertion(
                                                p,
                                                new ScramCredentialInfo(
                                                        ScramMechanism.SCRAM_SHA_512, 8192),
                                                pw)));
                admin.alterUserScramCredentials(users).all().get(30, TimeUnit.SECONDS);
                TopicBootstrap.ensure(
                        admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
                List<AclBinding> acls = new ArrayList<>();
                acls.addAll(PipelineAcls.features("User:features", catalog, "tideline-features"));
                acls.addAll(PipelineAcls.serving("User:serving", catalog, "tideline-serving"));
                acls.addAll(PipelineAcls.training("User:training", catalog, "tideline-training"));
                acls.addAll(PipelineAcls.cdc("User:cdc", catalog));
                acls.addAll(PipelineAcls.payments("User:demo", catalog, "tideline-produce-"));
                acls.addAll(PipelineAcls.reader("User:demo", catalog));
                admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            }

            String truststorePassword = "${file:" + secrets + ":truststore.password}";
            Map<String, String> values = new HashMap<>();
            values.put("tideline.stack.work-dir", dir.resolve("demo").toString());
            values.put("tideline.stack.kafka.bootstrap-servers", stack.bootstrapServers());
            values.put("tideline.stack.registry.url", registryUrl);
            // As an environment variable (TIDELINE_REGISTRY_BASIC_AUTH_USER_INFO) would give it:
            // a literal among the settings.
            values.put("tideline.registry.basic-auth.user-info", "tideline:" + registryPassword);
            values.put("tideline.registry.ssl.truststore.location", tls.truststore().toString());
            values.put("tideline.registry.ssl.truststore.password", truststorePassword);
            values.put("tideline.stack.postgres.jdbc-url", stack.jdbc().url());
            values.put("tideline.stack.postgres.user", stack.jdbc().user());
            values.put("tideline.stack.postgres.password", stack.jdbc().password());
            values.put("tideline.kafka.client.config.providers", "file");
            values.put(
                    "tideline.kafka.client.config.providers.file.class",
                    "org.apache.kafka.common.config.provider.FileConfigProvider");
            values.put("tideline.kafka.client.security.protocol", "SASL_SSL");
            values.put("tideline.kafka.client.sasl.mechanism", "SCRAM-SHA-512");
            tls.trusting(truststorePassword)
                    .forEach((k, v) -> values.put("tideline.kafka.client." + k, (String) v));
            values.put("tideline.kafka.client.sasl.jaas.config", jaas("demo", secrets));
            for (String engine : List.of("features", "serving", "training", "cdc")) {
                values.put(
                        "tideline." + engine + ".kafka.client.sasl.jaas.config",
                        jaas(engine, secrets));
            }

            SimulationSettings simulation = BenchRuns.simulation(Duration.ofMinutes(10), 1L);
            Map<String, Object> client;
            long sent;
            try (Demo demo =
                    Demo.start(BenchRuns.quiet(values), 1, simulation.suggestedMaturity(), null)) {
                client = demo.client();
                demo.simulate(simulation, Duration.ZERO, null);
                Simulator simulator = demo.simulator();
                // A model trained from the history, released, swapped in and scoring.
                await().atMost(Duration.ofMinutes(5))
                        .failFast(
                                "the simulator failed",
                                () -> simulator.phase() == Simulator.Phase.FAILED)
                        .until(() -> demo.servedVersion() >= 1);

                // While it runs: no credentials, a wrong password, and a principal without ACLs.
                refusals(stack.bootstrapServers(), tls, passwords, catalog);
                registryRefusals(registryUrl, tls);

                simulator.close();
                assertThat(demo.drain(Duration.ofMinutes(2)))
                        .as(
                                () ->
                                        "every payment predicted two minutes after the simulator"
                                                + " stopped: "
                                                + demo.progress())
                        .isTrue();
                sent = simulator.counts().payments.get();
                assertThat(simulator.counts().chargebacks.get()).isPositive();
                // The training job's command line holds references, not secrets.
                ProcessHandle.current()
                        .descendants()
                        .forEach(
                                child ->
                                        assertThat(
                                                        String.join(
                                                                " ",
                                                                child.info()
                                                                        .arguments()
                                                                        .orElse(new String[0])))
                                                .as("command line of process %s", child.pid())
                                                .doesNotContain(passwords.values())
                                                .doesNotContain(registryPassword));
            }

            // Everything the pipeline wrote, read by its monitor's principal.
            ExactlyOnce.assertOneVectorAndOnePredictionEach(client, catalog, sent);
            long byModel =
                    Topics.countBy(
                                    client,
                                    catalog.predictions().name(),
                                    catalog.predictions().valueSerde().deserializer(),
                                    p -> p.getFallback() ? "fallback" : "model")
                            .getOrDefault("model", 0);
            assertThat(byModel).as("predictions made by a trained model").isPositive();
            assertThat(proxy.forwarded())
                    .as("registry requests that passed authentication")
                    .isPositive();

            // Nothing the refused clients sent is anywhere.
            byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
            for (var topic : catalog.all()) {
                for (ConsumerRecord<byte[], byte[]> r :
                        Topics.readToEnd(
                                operator,
                                topic.name(),
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())) {
                    assertThat(contains(r.key(), marker) || contains(r.value(), marker))
                            .as("a refused client's record on %s", topic.name())
                            .isFalse();
                }
            }
        }

        List<String> captured = logs.lines();
        assertThat(captured)
                .as("the clients' configuration dumps, captured")
                .anyMatch(line -> line.contains("sasl.jaas.config = [hidden]"));
        List<String> secretsSeen = new ArrayList<>(passwords.values());
        secretsSeen.add(registryPassword);
        secretsSeen.add(tls.truststorePassword());
        secretsSeen.add(tls.broker().keystorePassword());
        for (String line : captured) {
            for (String secret : secretsSeen) {
                assertThat(line).as("a log line").doesNotContain(secret);
            }
        }
    }

    private static final String MARKER = "refused-" + UUID.randomUUID();

    /** Clients the cluster must turn away, each trying to write the marker. */
    private static void refusals(
            String bootstrap, TestTls tls, Map<String, String> passwords, TopicCatalog catalog) {
        String payments = catalog.transactions().name();

        // TLS but no SASL: the broker never answers a request.
        Map<String, Object> anonymous = new HashMap<>(tls.trusting(tls.truststorePassword()));
        anonymous.put("bootstrap.servers", bootstrap);
        anonymous.put("security.protocol", "SSL");
        anonymous.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        assertThatThrownBy(() -> send(anonymous, payments))
                .as("a client without credentials")
                .hasRootCauseInstanceOf(TimeoutException.class);

        // The right user, the wrong password.
        Map<String, Object> wrong = scram(bootstrap, tls, "serving", TestTls.password());
        assertThatThrownBy(() -> send(wrong, payments))
                .as("a client with a wrong password")
                .hasRootCauseInstanceOf(SaslAuthenticationException.class);

        // Valid credentials, no ACL: neither writes nor reads.
        Map<String, Object> intruder = scram(bootstrap, tls, "intruder", passwords.get("intruder"));
        assertThatThrownBy(() -> send(intruder, payments))
                .as("a principal without ACLs writing payments")
                .hasRootCauseInstanceOf(TopicAuthorizationException.class);
        assertThatThrownBy(() -> read(intruder, catalog.features().name()))
                .as("a principal without ACLs reading vectors")
                .isInstanceOf(TopicAuthorizationException.class);

        // A part's own credentials do not reach beyond its ACLs: serving may not write payments.
        Map<String, Object> serving = scram(bootstrap, tls, "serving", passwords.get("serving"));
        assertThatThrownBy(() -> send(serving, payments))
                .as("the scoring replicas' principal writing payments")
                .hasRootCauseInstanceOf(TopicAuthorizationException.class);
    }

    /** A registry client without credentials, or without the authority's certificate. */
    private static void registryRefusals(String registryUrl, TestTls tls) {
        Map<String, String> trusting =
                Map.of(
                        "tideline.registry.ssl.truststore.location",
                        tls.truststore().toString(),
                        "tideline.registry.ssl.truststore.password",
                        tls.truststorePassword());
        assertThatThrownBy(() -> ClientSettings.registry(registryUrl, trusting).subjects())
                .as("a registry client without credentials")
                .isInstanceOf(RegistryAuthException.class);
        Map<String, String> wrong = new HashMap<>(trusting);
        wrong.put("tideline.registry.basic-auth.user-info", "tideline:" + TestTls.password());
        assertThatThrownBy(() -> ClientSettings.registry(registryUrl, wrong).subjects())
                .as("a registry client with a wrong password")
                .isInstanceOf(RegistryAuthException.class);
        assertThatThrownBy(() -> ClientSettings.registry(registryUrl, Map.of()).subjects())
                .as("a registry client that does not trust the registry's certificate")
                .hasStackTraceContaining("SSLHandshakeException");
    }

    private static Map<String, Object> scram(
            String bootstrap, TestTls tls, String user, String password) {
        Map<String, Object> c = new HashMap<>(tls.trusting(tls.truststorePassword()));
        c.put("bootstrap.servers", bootstrap);
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + user
                        + "\" password=\""
                        + password
                        + "\";");
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return c;
    }

    private static void send(Map<String, Object> client, String topic) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(topic, marker, marker)).get(30, TimeUnit.SECONDS);
        }
    }

    private static void read(Map<String, Object> client, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500));
            }
        }
    }

    private static String jaas(String user, Path secrets) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user
                + "\" password=\"${file:"
                + secrets
                + ":"
                + user
                + ".password}\";";
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        if (haystack == null) {
            return false;
        }
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Every log event of this JVM, formatted with its exception, while the test runs; the clients'
     * configuration dumps (where a secret would show) are logged too.
     */
    private static final class Capture extends AbstractAppender {

        /** Where Kafka logs every client's and the broker's settings ("ProducerConfig values"). */
        private static final List<String> CONFIG_LOGGERS =
                List.of("org.apache.kafka.common.config.AbstractConfig");

        private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

        private Capture() {
            super("secured-run-capture", null, null, true, Property.EMPTY_ARRAY);
        }

        static Capture install() {
            Capture capture = new Capture();
            capture.start();
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            context.getConfiguration().getRootLogger().addAppender(capture, Level.ALL, null);
            CONFIG_LOGGERS.forEach(name -> Configurator.setLevel(name, Level.INFO));
            context.updateLoggers();
            return capture;
        }

        @Override
        public void append(LogEvent event) {
            StringBuilder line = new StringBuilder(event.getMessage().getFormattedMessage());
            for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
                line.append(" | ").append(t);
            }
            lines.add(line.toString());
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void stop() {
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            context.getConfiguration().getRootLogger().removeAppender(getName());
            CONFIG_LOGGERS.forEach(name -> Configurator.setLevel(name, Level.WARN));
            context.updateLoggers();
            super.stop();
        }
    }
}
