package dev.tideline.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class ReplicatedClusterIT {

    private static final String TOPIC = "replicated";
    private static final int RECORDS = 20_000;

    @Test
    void acknowledgedRecordsSurviveLosingABrokerMidProduce() throws Exception {
        try (LocalStack stack =
                LocalStack.builder().kafkaNodes(3, 1).withoutRegistry().withoutPostgres().start()) {
            EmbeddedKafkaCluster cluster = stack.kafkaCluster().orElseThrow();
            assertThat(cluster.brokerIds()).hasSize(3);
            int victim;
            try (Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    stack.bootstrapServers()))) {
                admin.createTopics(
                                List.of(
                                        new NewTopic(TOPIC, 6, (short) 3)
                                                .configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get();
                victim =
                        admin.describeTopics(List.of(TOPIC))
                                .allTopicNames()
                                .get()
                                .get(TOPIC)
                                .partitions()
                                .get(0)
                                .leader()
                                .id();
            }

            Set<String> acked = ConcurrentHashMap.newKeySet();
            AtomicReference<Exception> failure = new AtomicReference<>();
            AtomicInteger sent = new AtomicInteger();
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    stack.bootstrapServers(),
                                    ProducerConfig.ACKS_CONFIG,
                                    "all",
                                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                    true,
                                    ProducerConfig.LINGER_MS_CONFIG,
                                    5,
                                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                                    60_000),
                            new StringSerializer(),
                            new StringSerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    String id = "r" + i;
                    producer.send(
                            new ProducerRecord<>(TOPIC, id, id),
                            (meta, e) -> {
                                if (e == null) {
                                    acked.add(id);
                                } else {
                                    failure.compareAndSet(null, e);
                                }
                            });
                    sent.incrementAndGet();
                    if (i == RECORDS / 4) {
                        // Make sure a good share is acknowledged before the broker goes.
                        await().atMost(Duration.ofSeconds(30))
                                .until(() -> acked.size() >= RECORDS / 8);
                        cluster.stopBroker(victim);
                    }
                }
                producer.flush();
            }
            assertThat(failure.get()).as("a send failed after the broker stopped").isNull();
            assertThat(acked).hasSize(RECORDS);

            Set<String> read = new HashSet<>();
            try (KafkaConsumer<String, String> consumer =
                    new KafkaConsumer<>(
                            Map.of(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                            stack.bootstrapServers(),
                                    ConsumerConfig.GROUP_ID_CONFIG, "verify",
                                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                            new StringDeserializer(),
                            new StringDeserializer())) {
                consumer.subscribe(List.of(TOPIC));
                await().atMost(Duration.ofSeconds(60))
                        .until(
                                () -> {
                                    for (ConsumerRecord<String, String> r :
                                            consumer.poll(Duration.ofMillis(200))) {
                                        read.add(r.value());
                                    }
                                    return read.size() >= acked.size();
                                });
            }
            assertThat(read).containsAll(acked);
        }
    }
}
