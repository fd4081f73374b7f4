package dev.tideline.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.AvroWireCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

@WithLocalStack
class SerdeRoundTripIT {

    private static TopicCatalog catalog(SchemaRegistryClient registry, TestNamespace ns) {
        return TopicCatalog.create(
                new TopicCatalogConfig(Map.of(TopicCatalogConfig.PREFIX, ns.prefix())), registry);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyContractRoundTripsThroughTheBrokerAndTheRegistry(LocalStack stack, TestNamespace ns)
            throws Exception {
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        TopicCatalog catalog = catalog(registry, ns);
        try (Admin admin = KafkaTestSupport.admin(stack.bootstrapServers())) {
            TopicBootstrap.ensure(admin, catalog, Optional.empty(), Duration.ofSeconds(30));
        }

        for (SpecificRecord sample : ContractSamples.all()) {
            Topic<String, SpecificRecord> topic =
                    (Topic<String, SpecificRecord>)
                            catalog.avroTopics().stream()
                                    .filter(
                                            t ->
                                                    t.valueSchema()
                                                            .orElseThrow()
                                                            .equals(sample.getSchema()))
                                    .findFirst()
                                    .orElseThrow();
            String key =
                    String.valueOf(
                            sample.get(
                                    sample.getSchema()
                                            .getField(topic.keyField().orElseThrow())
                                            .pos()));
            KafkaTestSupport.produce(
                    stack.bootstrapServers(),
                    topic.keySerde().serializer(),
                    topic.valueSerde().serializer(),
                    List.of(new ProducerRecord<>(topic.name(), key, sample)));
            List<ConsumerRecord<String, SpecificRecord>> read =
                    KafkaTestSupport.consume(
                            stack.bootstrapServers(),
                            topic.name(),
                            topic.keySerde().deserializer(),
                            topic.valueSerde().deserializer(),
                            1);
            assertThat(read).hasSize(1);
            assertThat(read.get(0).key()).isEqualTo(key);
            assertThat(read.get(0).value()).as(topic.name()).isEqualTo(sample);

            // The id in the frame is the registry's id for the topic's value subject.
            byte[] framed = topic.valueSerde().serializer().serialize(topic.name(), sample);
            assertThat(AvroWireCodec.schemaId(topic.name(), framed))
                    .isEqualTo(registry.lookup(topic.valueSubject(), sample.getSchema()).id());
        }
    }

    @Test
    void aTombstoneStaysNull(LocalStack stack, TestNamespace ns) {
        TopicCatalog catalog =
                catalog(
                        new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl())),
                        ns);
        var serde = catalog.accounts().valueSerde();
        assertThat(serde.serializer().serialize(catalog.accounts().name(), null)).isNull();
        assertThat(serde.deserializer().deserialize(catalog.accounts().name(), null)).isNull();
    }
}
