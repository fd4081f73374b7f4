package dev.tideline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.ContractSamples;
import dev.tideline.schemas.KafkaTestSupport;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Apicurio's own serde in Confluent mode is an independent implementation of the wire format: bytes
 * each side writes must be readable by the other, through a real broker.
 */
@WithLocalStack
class ApicurioInteropIT {

    private static Map<String, Object> apicurioConfig(LocalStack stack) {
        Map<String, Object> config = new HashMap<>();
        config.put(
                "apicurio.registry.url",
                stack.registryUrl().replace(LocalStack.CCOMPAT_PATH, "/apis/registry/v2"));
        config.put("apicurio.registry.as-confluent", "true");
        config.put("apicurio.registry.use-id", "contentId");
        config.put("apicurio.registry.headers.enabled", "false");
        config.put("apicurio.registry.auto-register", "true");
        config.put("apicurio.registry.use-specific-avro-reader", "true");
        return config;
    }

    @Test
    void apicurioReadsWhatTidelineWrites(LocalStack stack, TestNamespace ns) throws Exception {
        String topic = ns.name("interop-a");
        KafkaTestSupport.createTopic(stack.bootstrapServers(), topic, 1);
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        Transaction sent = ContractSamples.transaction();
        KafkaTestSupport.produce(
                stack.bootstrapServers(),
                new StringSerializer(),
                AvroSerializer.specific(Transaction.class, registry, false),
                List.of(new ProducerRecord<>(topic, sent.getEntityId(), sent)));

        try (AvroKafkaDeserializer<Transaction> apicurio = new AvroKafkaDeserializer<>()) {
            apicurio.configure(apicurioConfig(stack), false);
            var read =
                    KafkaTestSupport.consume(
                            stack.bootstrapServers(), topic, new StringDeserializer(), apicurio, 1);
            assertThat(read.get(0).value()).isEqualTo(sent);
        }
    }

    @Test
    void tidelineReadsWhatApicurioWrites(LocalStack stack, TestNamespace ns) throws Exception {
        String topic = ns.name("interop-b");
        KafkaTestSupport.createTopic(stack.bootstrapServers(), topic, 1);
        Transaction sent = ContractSamples.transaction();
        try (AvroKafkaSerializer<Transaction> apicurio = new AvroKafkaSerializer<>()) {
            apicurio.configure(apicurioConfig(stack), false);
            KafkaTestSupport.produce(
                    stack.bootstrapServers(),
                    new StringSerializer(),
                    apicurio,
                    List.of(new ProducerRecord<>(topic, sent.getEntityId(), sent)));
        }
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        var read =
                KafkaTestSupport.consume(
                        stack.bootstrapServers(),
                        topic,
                        new StringDeserializer(),
                        AvroDeserializer.specific(Transaction.class, registry, false),
                        1);
        assertThat(read.get(0).value()).isEqualTo(sent);
        // Apicurio registered through its own API; Tideline sees it as a Confluent subject.
        assertThat(registry.subjects()).contains(topic + "-value");
    }
}
