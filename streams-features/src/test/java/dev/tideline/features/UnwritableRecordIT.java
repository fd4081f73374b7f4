package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A payment whose vector the output topic would refuse (too large for its max.message.bytes) goes
 * to the dead-letter topic with its reason before it is sent, and the stage moves on: no task fails
 * and meets it again on restart (a refused send would fail the task's transaction), and every
 * payment after it gets its vector.
 */
@WithLocalStack
class UnwritableRecordIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    void aVectorTheBrokerRefusesIsDeadLetteredAndTheStageMovesOn(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        TopicCatalog catalog = TestCatalogs.bootstrapped(stack, ns.prefix(), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.incrementalAlterConfigs(
                            Map.of(
                                    new ConfigResource(
                                            ConfigResource.Type.TOPIC, catalog.features().name()),
                                    List.of(
                                            new AlterConfigOp(
                                                    new ConfigEntry("max.message.bytes", "2000"),
                                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get();
        }
        Map<String, String> config = new HashMap<>();
        config.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        config.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        config.put("tideline.topics.prefix", ns.prefix());
        config.put("tideline.topics.partitions", "2");
        config.put(FeatureConfig.APPLICATION_ID, ns.name("features"));
        config.put(FeatureConfig.STATE_DIR, dir.toString());
        config.put(FeatureConfig.HTTP_PORT, "-1");

        Instant t0 = Instant.now().minus(Duration.ofMinutes(30));
        // A merchant id too long for a vector to fit the topic, even compressed.
        Random random = new Random(5);
        StringBuilder huge = new StringBuilder("m-");
        for (int c = 0; c < 6_000; c++) {
            huge.append((char) ('a' + random.nextInt(26)));
        }
        List<Transaction> input = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String merchant = i == 5 ? huge.toString() : "m-" + (i % 3);
            input.add(
                    Transaction.newBuilder()
                            .setTxnId("t-" + i)
                            .setEntityId("e-" + (i % 4))
                            .setMerchantId(merchant)
                            .setAmountMinor(1_000 + i)
                            .setCurrency("EUR")
                            .setCountry("DE")
                            .setChannel(Channel.CARD_PRESENT)
                            .setEventTime(t0.plusSeconds(10L * i))
                            .build());
        }
        try (FeatureApp app = FeatureApp.start(new FeatureConfig(config));
                KafkaProducer<String, Transaction> producer =
                        new KafkaProducer<>(
                                Map.of("bootstrap.servers", stack.bootstrapServers()),
                                new StringSerializer(),
                                catalog.transactions().valueSerde().serializer())) {
            for (Transaction tx : input) {
                producer.send(
                                new ProducerRecord<>(
                                        catalog.transactions().name(), tx.getEntityId(), tx))
                        .get();
            }
            List<ConsumerRecord<String, FeatureVector>> vectors =
                    Topics.readAtLeast(
                            stack.bootstrapServers(),
                            catalog.features().name(),
                            new StringDeserializer(),
                            catalog.features().valueSerde().deserializer(),
                            19,
                            TIMEOUT);
            assertThat(vectors)
                    .extracting(r -> r.value().getTxnId())
                    .hasSize(19)
                    .doesNotContain("t-5");
            List<ConsumerRecord<byte[], byte[]>> dead =
                    Topics.readAtLeast(
                            stack.bootstrapServers(),
                            catalog.deadLetter(catalog.transactions()).name(),
                            new ByteArrayDeserializer(),
                            new ByteArrayDeserializer(),
                            1,
                            TIMEOUT);
            assertThat(dead).hasSize(1);
            assertThat(DeadLetter.header(dead.get(0).headers(), DeadLetter.REASON))
                    .isEqualTo(RejectedRecordException.RECORD_TOO_LARGE);
            assertThat(DeadLetter.header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE))
                    .contains("the output topic and producer take 976");
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(
                            app.metrics()
                                    .registry()
                                    .find("tideline.features.stream.thread.failures")
                                    .counter())
                    .satisfiesAnyOf(
                            c -> assertThat(c).isNull(), c -> assertThat(c.count()).isZero());
        }
    }
}
