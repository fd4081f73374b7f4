package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.schemas.json.JsonAvro;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.AvroWireCodec;
import dev.tideline.schemas.serde.SerdeException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tideline tail}: a topic's Avro records as JSON lines, read_committed. */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        description = {
            "Print a topic's records as JSON lines (read_committed).",
            "Exits after --max records, or at --timeout; with both, a timeout before --max"
                    + " records exits with status 1."
        })
final class TailCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Spec CommandSpec spec;

    @Option(names = "--topic", required = true, description = "Topic to read, prefix included.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the oldest record, not the newest.")
    boolean fromBeginning;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description = "Stop after this many seconds.")
    Double timeoutSeconds;

    @Option(
            names = "--metadata",
            description = "Wrap each value with its key, partition, offset and timestamp.")
    boolean metadata;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Settings settings = Settings.load(options);
        SchemaRegistryClient registry = settings.registry();
        AvroWireCodec<GenericRecord> codec = AvroWireCodec.generic(registry, false);
        ObjectMapper json = new ObjectMapper();

        Map<String, Object> config = settings.kafkaClient();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long deadline =
                timeoutSeconds == null
                        ? Long.MAX_VALUE
                        : System.nanoTime() + (long) (timeoutSeconds * 1e9);
        long printed = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            // No group: tailing assigns every partition and commits nothing.
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            if (partitions.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            while (System.nanoTime() < deadline && (max == null || printed < max)) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                for (ConsumerRecord<byte[], byte[]> r :
                        consumer.poll(Duration.ofMillis(Math.min(500, left)))) {
                    if (max != null && printed >= max) {
                        break;
                    }
                    String line;
                    try {
                        GenericRecord value = codec.decode(r.topic(), r.value());
                        Object rendered = value == null ? null : JsonAvro.toJson(value);
                        if (metadata) {
                            ObjectNode envelope = json.createObjectNode();
                            envelope.put(
                                    "key",
                                    r.key() == null
                                            ? null
                                            : new String(r.key(), StandardCharsets.UTF_8));
                            envelope.put("partition", r.partition());
                            envelope.put("offset", r.offset());
                            envelope.put("timestamp", r.timestamp());
                            envelope.set("value", (ObjectNode) rendered);
                            line = envelope.toString();
                        } else {
                            line = String.valueOf(rendered);
                        }
                    } catch (SerdeException e) {
                        err.printf(
                                "partition %d offset %d: %s%n",
                                r.partition(), r.offset(), e.getMessage());
                        continue;
                    }
                    out.println(line);
                    printed++;
                }
                out.flush();
            }
        }
        out.flush();
        if (max != null && printed < max) {
            err.printf("timed out after %d of %d records%n", printed, max);
            err.flush();
            return 1;
        }
        return 0;
    }
}
