package dev.tideline.connectors.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.connectors.CdcMetrics;
import dev.tideline.connectors.CdcRunner;
import dev.tideline.connectors.SourceDatabase;
import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.Herder;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The versioned Connect configs deployed on a real Kafka Connect worker (standalone, in this JVM),
 * beside the embedded runner on the same database: both write the same records.
 */
@WithLocalStack(postgres = true)
class KafkaConnectIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void connectAndTheEmbeddedRunnerWriteTheSameRecords(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        String database = ns.prefix().replaceAll("[^a-z0-9]", "_").replaceAll("_+$", "");
        sql(stack, stack.jdbc().url(), "CREATE DATABASE " + database);
        String jdbcUrl = stack.jdbc().url().replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");
        SourceDatabase.migrate(jdbcUrl, stack.jdbc().user(), stack.jdbc().password());
        sql(
                stack,
                jdbcUrl,
                "INSERT INTO accounts VALUES ('a0', '2026-01-01T00:00:00Z', 100, 'NL', 'LOW',"
                        + " now())");

        TopicCatalog viaConnect = catalog(stack, ns.prefix() + "connect.");
        TopicCatalog viaRunner = catalog(stack, ns.prefix() + "runner.");

        // Secrets the worker's FileConfigProvider reads, where the JSON config names them.
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        URI pg = URI.create(jdbcUrl.substring("jdbc:".length()));
        Files.writeString(
                secrets.resolve("postgres.properties"),
                "host="
                        + pg.getHost()
                        + "\nport="
                        + pg.getPort()
                        + "\nuser="
                        + stack.jdbc().user()
                        + "\npassword="
                        + stack.jdbc().password()
                        + "\ndbname="
                        + database
                        + "\n");
        Files.writeString(
                secrets.resolve("registry.properties"),
                "url=" + stack.registryUrl() + "\nuser.info=tideline:unused\n");
        Map<String, String> config = new HashMap<>();
        String json =
                Files.readString(
                                Path.of(
                                        System.getProperty("tideline.connect.configs", "connect"),
                                        "cdc-accounts.v1.json"))
                        .replace("/etc/tideline/secrets/", secrets.toString() + "/");
        config.putAll(
                new ObjectMapper()
                        .convertValue(
                                new ObjectMapper().readTree(json).get("config"),
                                new TypeReference<Map<String, String>>() {}));
        config.put("transforms.contract.topics.prefix", viaConnect.config().prefix());
        config.put("slot.name", "connect_" + database);
        config.put("name", "tideline-cdc-accounts"); // the REST API takes it from the JSON's "name"

        Map<String, String> worker = new HashMap<>();
        worker.put("bootstrap.servers", stack.bootstrapServers());
        worker.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        worker.put("offset.storage.file.filename", dir.resolve("connect.offsets").toString());
        worker.put("offset.flush.interval.ms", "1000");
        worker.put("listeners", "http://127.0.0.1:0");
        worker.put("config.providers", "file");
        worker.put(
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider");
        worker.put("topic.creation.enable", "false");
        worker.put("plugin.discovery", "only_scan");
        Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(worker);
        CdcRunner runner = null;
        try {
            FutureCallback<Herder.Created<ConnectorInfo>> created = new FutureCallback<>();
            connect.herder().putConnectorConfig("tideline-cdc-accounts", config, true, created);
            created.get(60, TimeUnit.SECONDS);
            runner =
                    CdcRunner.start(
                            new CdcRunner.Settings(
                                    jdbcUrl,
                                    stack.jdbc().user(),
                                    stack.jdbc().password(),
                                    "runner_" + database,
                                    "tideline_accounts",
                                    dir.resolve("runner.offsets"),
                                    stack.bootstrapServers(),
                                    Map.of()),
                            viaRunner,
                            new CdcMetrics(new SimpleMeterRegistry()));
            await().atMost(TIMEOUT)
                    .until(
                            () ->
                                    read(stack, viaConnect.accounts().name()).size() >= 1
                                            && read(stack, viaRunner.accounts().name()).size()
                                                    >= 1);

            sql(
                    stack,
                    jdbcUrl,
                    "INSERT INTO accounts VALUES ('a1', '2026-01-02T03:04:05.123Z', 500000, 'DE',"
                            + " 'MEDIUM', now())",
                    "UPDATE accounts SET credit_limit_minor = 600000 WHERE account_id = 'a1'",
                    "INSERT INTO accounts VALUES ('bad', now(), 1, NULL, 'LOW', now())",
                    "DELETE FROM accounts WHERE account_id = 'a0'");

            await().atMost(TIMEOUT)
                    .until(
                            () ->
                                    read(stack, viaConnect.accounts().name()).size() >= 4
                                            && read(stack, viaRunner.accounts().name()).size()
                                                    >= 4);
            List<String> connectRecords =
                    decoded(viaConnect, read(stack, viaConnect.accounts().name()));
            List<String> runnerRecords =
                    decoded(viaRunner, read(stack, viaRunner.accounts().name()));
            assertThat(connectRecords).hasSize(4).isEqualTo(runnerRecords);
            assertThat(connectRecords.get(3)).isEqualTo("a0=null");
            assertThat(validFrom(read(stack, viaConnect.accounts().name())))
                    .as("both paths stamp an account row with when it took effect")
                    .isEqualTo(validFrom(read(stack, viaRunner.accounts().name())));
            assertThat(read(stack, viaConnect.cdcDeadLetter().name())).hasSize(1);
        } finally {
            if (runner != null) {
                runner.close();
            }
            connect.stop();
        }
    }

    /** The record timestamps of the account rows (not of tombstones, stamped when captured). */
    private static List<Long> validFrom(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().filter(r -> r.value() != null).map(r -> r.timestamp()).toList();
    }

    /** key=value per record, values decoded with the contract, in offset order per key. */
    private static List<String> decoded(
            TopicCatalog catalog, List<ConsumerRecord<byte[], byte[]>> records) {
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            SpecificRecord value =
                    r.value() == null
                            ? null
                            : catalog.accounts()
                                    .valueSerde()
                                    .deserializer()
                                    .deserialize(r.topic(), r.value());
            out.add(new String(r.key(), StandardCharsets.UTF_8) + "=" + value);
        }
        return out;
    }

    /** Every record of the topic, ordered by partition and offset. */
    private static List<ConsumerRecord<byte[], byte[]>> read(LocalStack stack, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out =
                new ArrayList<>(Topics.readToEnd(stack.bootstrapServers(), topic));
        out.sort(
                (a, b) ->
                        a.partition() != b.partition()
                                ? Integer.compare(a.partition(), b.partition())
                                : Long.compare(a.offset(), b.offset()));
        // One partition per key: order within a key is offset order; across keys, by first
        // appearance.
        return out;
    }

    private static TopicCatalog catalog(LocalStack stack, String prefix) {
        return TestCatalogs.bootstrapped(stack, prefix, 1);
    }

    private static void sql(LocalStack stack, String url, String... statements) throws Exception {
        try (Connection c =
                        DriverManager.getConnection(
                                url, stack.jdbc().user(), stack.jdbc().password());
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
