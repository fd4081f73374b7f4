package dev.tideline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.registry.CompatibilityLevel;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

@WithLocalStack
class TopicBootstrapIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static TopicCatalog catalog(LocalStack stack, TestNamespace ns, int partitions) {
        return TopicCatalog.create(
                new TopicCatalogConfig(
                        Map.of(
                                TopicCatalogConfig.PREFIX, ns.prefix(),
                                TopicCatalogConfig.PARTITIONS, String.valueOf(partitions))),
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl())));
    }

    @Test
    void createsEveryTopicOnceWithTheCatalogsSettings(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns, 4);
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        try (Admin admin = KafkaTestSupport.admin(stack.bootstrapServers())) {
            var first = TopicBootstrap.ensure(admin, catalog, Optional.of(registry), TIMEOUT);
            assertThat(first.created()).hasSize(catalog.all().size());
            var second = TopicBootstrap.ensure(admin, catalog, Optional.of(registry), TIMEOUT);
            assertThat(second.created()).isEmpty();
            assertThat(second.existing()).hasSize(catalog.all().size());

            Map<String, TopicDescription> described =
                    admin.describeTopics(
                                    List.of(catalog.features().name(), catalog.models().name()))
                            .allTopicNames()
                            .get();
            assertThat(described.get(catalog.features().name()).partitions()).hasSize(4);
            assertThat(described.get(catalog.models().name()).partitions()).hasSize(1);
            var models = new ConfigResource(ConfigResource.Type.TOPIC, catalog.models().name());
            var config = admin.describeConfigs(List.of(models)).all().get().get(models);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("max.message.bytes").value()).isEqualTo(String.valueOf(16 << 20));
        }
        for (Topic<String, ?> topic : catalog.avroTopics()) {
            assertThat(registry.latest(topic.valueSubject()).schema())
                    .isEqualTo(topic.valueSchema().orElseThrow());
            assertThat(registry.compatibility(topic.valueSubject()))
                    .contains(CompatibilityLevel.BACKWARD);
        }
    }

    /**
     * Once {@code ensure} returns, every partition it created takes a write at once. A broker
     * answers a produce to a partition it has not loaded yet with NOT_LEADER_OR_FOLLOWER, and an
     * idempotent producer whose first request met that can lose it for good after a later one
     * landed (KAFKA-15591): so a write here gets no retry, and none may fail.
     */
    @Test
    void everyCreatedPartitionTakesAWriteAsSoonAsEnsureReturns(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns, 12);
        try (Admin admin = KafkaTestSupport.admin(stack.bootstrapServers());
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                Map.of(
                                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        stack.bootstrapServers(),
                                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                        false,
                                        ProducerConfig.ACKS_CONFIG,
                                        "1",
                                        ProducerConfig.RETRIES_CONFIG,
                                        0),
                                new ByteArraySerializer(),
                                new ByteArraySerializer())) {
            var result = TopicBootstrap.ensure(admin, catalog, Optional.empty(), TIMEOUT);
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (Topic<?, ?> topic : catalog.all()) {
                for (int p = 0; p < topic.partitions(); p++) {
                    sent.add(
                            producer.send(
                                    new ProducerRecord<>(
                                            topic.name(), p, new byte[1], new byte[1])));
                }
            }
            assertThat(result.created()).hasSize(catalog.all().size());
            for (Future<RecordMetadata> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS).offset()).isZero();
            }
        }
    }

    @Test
    void refusesAnExistingTopicWithAnotherPartitionCount(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns, 6);
        try (Admin admin = KafkaTestSupport.admin(stack.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(catalog.features().name(), 3, (short) 1)))
                    .all()
                    .get();
            assertThatThrownBy(
                            () -> TopicBootstrap.ensure(admin, catalog, Optional.empty(), TIMEOUT))
                    .isInstanceOf(TopicMismatchException.class)
                    .hasMessageContaining(
                            "topic "
                                    + catalog.features().name()
                                    + " has 3 partitions but the catalog declares 6")
                    .hasMessageContaining("tideline.topics.partitions=3");
        }
    }

    @Test
    void refusesAnExistingModelsTopicThatIsNotCompacted(LocalStack stack, TestNamespace ns)
            throws Exception {
        TopicCatalog catalog = catalog(stack, ns, 2);
        try (Admin admin = KafkaTestSupport.admin(stack.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic(catalog.models().name(), 1, (short) 1)))
                    .all()
                    .get();
            assertThatThrownBy(
                            () -> TopicBootstrap.ensure(admin, catalog, Optional.empty(), TIMEOUT))
                    .isInstanceOf(TopicMismatchException.class)
                    .hasMessageContaining(
                            catalog.models().name()
                                    + " has cleanup.policy=delete but the catalog declares"
                                    + " compact");
        }
    }
}
