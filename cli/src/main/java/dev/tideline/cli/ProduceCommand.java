package dev.tideline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.json.JsonAvro;
import dev.tideline.schemas.json.JsonAvroException;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.AvroSerializer;
import dev.tideline.schemas.serde.SerdeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline produce}: JSON lines as people write them, validated against the topic's Avro
 * schema, written with the project's serializer inside Kafka transactions.
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = {
            "Produce JSON lines to a topic as Avro records of its value schema.",
            "Plain JSON: an optional field takes its bare value or null; timestamps are epoch"
                    + " milliseconds or ISO-8601.",
            "Records are written in transactions of --batch-size lines; with --on-error=fail the"
                    + " first bad line aborts the open transaction, so none of its batch is"
                    + " visible to read_committed consumers."
        })
final class ProduceCommand implements Callable<Integer> {

    enum OnError {
        fail,
        skip
    }

    @Mixin CommonOptions options;

    @Spec CommandSpec spec;

    @Option(names = "--topic", required = true, description = "Topic to write to, prefix included.")
    String topic;

    @Option(
            names = "--file",
            paramLabel = "FILE|-",
            defaultValue = "-",
            description = "JSON lines to read; '-' for standard input (default).")
    String file;

    @Option(
            names = "--key-field",
            description = "Value field used as the record key (default: the catalog's key).")
    String keyField;

    @Option(
            names = "--on-error",
            defaultValue = "fail",
            description =
                    "What a bad line does: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OnError onError;

    @Option(
            names = "--batch-size",
            defaultValue = "10000",
            description = "Lines per transaction (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1");
        }
        Settings settings = Settings.load(options);
        SchemaRegistryClient registry = settings.registry();
        TopicCatalog catalog = settings.catalog(registry);
        TopicSchemas.Resolved target = TopicSchemas.resolve(topic, catalog, registry);
        Optional<String> key = Optional.ofNullable(keyField).or(target::keyField);
        if (key.isPresent() && target.schema().getField(key.get()) == null) {
            throw new IllegalArgumentException(
                    "--key-field " + key.get() + " is not a field of " + target.schema().getName());
        }

        Map<String, Object> config = settings.kafkaClient();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tideline-produce-" + UUID.randomUUID());
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 300_000);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);

        ObjectMapper json = new ObjectMapper();
        long lineNo = 0;
        long sent = 0;
        long skipped = 0;
        long committed = 0;
        try (BufferedReader in = open();
                KafkaProducer<String, GenericRecord> producer =
                        new KafkaProducer<>(
                                config,
                                new StringSerializer(),
                                AvroSerializer.generic(registry, false))) {
            producer.initTransactions();
            producer.beginTransaction();
            long inBatch = 0;
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                GenericRecord record;
                try {
                    JsonNode node = json.readTree(line);
                    record = JsonAvro.toRecord(node, target.schema());
                    // Serialize now so a record the schema refuses is reported with its line.
                    producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    key.map(k -> String.valueOf(record.get(k))).orElse(null),
                                    record));
                } catch (JsonProcessingException | JsonAvroException | SerdeException e) {
                    String reason =
                            e instanceof JsonProcessingException jp
                                    ? "not JSON: " + jp.getOriginalMessage()
                                    : e.getMessage();
                    err.printf("line %d: %s%n", lineNo, reason);
                    if (onError == OnError.fail) {
                        producer.abortTransaction();
                        err.printf(
                                "aborted: %d records of this batch were not written; %d committed"
                                        + " before it%n",
                                inBatch, committed);
                        err.flush();
                        return 1;
                    }
                    skipped++;
                    continue;
                }
                sent++;
                inBatch++;
                if (inBatch == batchSize) {
                    producer.commitTransaction();
                    committed += inBatch;
                    inBatch = 0;
                    producer.beginTransaction();
                }
            }
            producer.commitTransaction();
            committed += inBatch;
        }
        err.printf(
                "produced %d records to %s%s%n",
                committed, topic, skipped > 0 ? " (" + skipped + " bad lines skipped)" : "");
        err.flush();
        out.flush();
        return 0;
    }

    private BufferedReader open() throws IOException {
        if (file.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    }
}
