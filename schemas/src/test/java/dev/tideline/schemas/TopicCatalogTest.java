package dev.tideline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TopicCatalogTest {

    // Building a catalog makes no registry calls; the URL is never contacted here.
    private static final SchemaRegistryClient REGISTRY =
            new SchemaRegistryClient(RegistryClientConfig.forUrl("http://127.0.0.1:9"));

    private static TopicCatalog catalog(Map<String, ?> props) {
        return TopicCatalog.create(new TopicCatalogConfig(props), REGISTRY);
    }

    @Test
    void namesEveryTopicOfTheArchitectureWithTheConfiguredPrefix() {
        TopicCatalog catalog = catalog(Map.of(TopicCatalogConfig.PREFIX, "staging."));
        assertThat(catalog.all())
                .extracting(Topic::name)
                .containsExactly(
                        "staging.payments.transactions.v1",
                        "staging.cdc.accounts",
                        "staging.cdc.labels",
                        "staging.features.v1",
                        "staging.training.sync.v1",
                        "staging.models.v1",
                        "staging.models.revocations.v1",
                        "staging.predictions.v1",
                        "staging.payments.transactions.v1.dlq",
                        "staging.cdc.labels.dlq",
                        "staging.features.v1.dlq",
                        "staging.cdc.dlq");
        assertThat(catalog.deadLetter(catalog.features()).name())
                .isEqualTo("staging.features.v1.dlq");
        assertThat(catalog.byName("staging.models.v1")).containsSame(catalog.models());
    }

    @Test
    void coPartitionsKeyedTopicsAndCompactsLatestValueTopics() {
        TopicCatalog catalog = catalog(Map.of(TopicCatalogConfig.PARTITIONS, "12"));
        assertThat(catalog.transactions().partitions()).isEqualTo(12);
        assertThat(catalog.accounts().partitions()).isEqualTo(12);
        assertThat(catalog.features().partitions()).isEqualTo(12);
        assertThat(catalog.predictions().partitions()).isEqualTo(12);
        assertThat(catalog.models().partitions()).isEqualTo(1);
        assertThat(catalog.accounts().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(catalog.models().configs())
                .containsEntry("cleanup.policy", "compact")
                .containsEntry("max.message.bytes", String.valueOf(16 * 1024 * 1024));
        assertThat(catalog.transactions().configs()).doesNotContainKey("cleanup.policy");
        assertThat(catalog.transactions().keyField()).contains("entity_id");
        assertThat(catalog.labels().keyField()).contains("txn_id");
        assertThat(catalog.transactions().valueSubject())
                .isEqualTo("payments.transactions.v1-value");
    }

    @Test
    void requiresTwoInSyncReplicasWhenReplicatedThreeTimes() {
        TopicCatalog catalog = catalog(Map.of(TopicCatalogConfig.REPLICATION_FACTOR, "3"));
        assertThat(catalog.all())
                .allSatisfy(
                        t -> {
                            assertThat(t.replicationFactor()).isEqualTo((short) 3);
                            assertThat(t.configs()).containsEntry("min.insync.replicas", "2");
                        });
    }

    @Test
    void refusesAnIllegalPrefixNamingTheKey() {
        assertThatThrownBy(() -> catalog(Map.of(TopicCatalogConfig.PREFIX, "team a/")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.topics.prefix");
    }

    @Test
    void refusesZeroPartitionsNamingTheKey() {
        assertThatThrownBy(() -> catalog(Map.of(TopicCatalogConfig.PARTITIONS, "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.topics.partitions");
    }
}
