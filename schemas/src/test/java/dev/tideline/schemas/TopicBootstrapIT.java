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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
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
