package dev.tideline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.ContractSamples;
import dev.tideline.schemas.KafkaTestSupport;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.schemas.registry.CompatibilityLevel;
import dev.tideline.schemas.registry.IncompatibleSchemaException;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaNotFoundException;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@WithLocalStack
class SerdeErrorsIT {

    private SchemaRegistryClient registry;
    private AvroWireCodec<Transaction> codec;

    @BeforeEach
    void setUp(LocalStack stack) {
        registry = new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        codec = AvroWireCodec.specific(Transaction.class, registry, false);
    }

    @Test
    void wrongMagicByteIsRefusedNamingTopicAndByte(TestNamespace ns) {
        String topic = ns.name("payments");
        byte[] framed = codec.encode(topic, ContractSamples.transaction());
        framed[0] = 0x01;
        assertThatThrownBy(() -> codec.decode(topic, framed))
                .isInstanceOf(UnknownMagicByteException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("magic byte 0x01");
        byte[] json = "{\"txn_id\":\"t\"}".getBytes();
        assertThatThrownBy(() -> codec.decode(topic, json))
                .isInstanceOf(UnknownMagicByteException.class)
                .hasMessageContaining("0x7b");
    }

    @Test
    void unknownSchemaIdIsRefusedNamingTopicAndId(TestNamespace ns) {
        String topic = ns.name("payments");
        byte[] framed = codec.encode(topic, ContractSamples.transaction());
        int unknownId = 987_654_321;
        framed[1] = (byte) (unknownId >>> 24);
        framed[2] = (byte) (unknownId >>> 16);
        framed[3] = (byte) (unknownId >>> 8);
        framed[4] = (byte) unknownId;
        assertThatThrownBy(() -> codec.decode(topic, framed))
                .isInstanceOfSatisfying(
                        UnknownSchemaIdException.class,
                        e -> assertThat(e.schemaId()).isEqualTo(unknownId))
                .hasMessageContaining(topic)
                .hasMessageContaining("schema id 987654321")
                .hasCauseInstanceOf(SchemaNotFoundException.class);
    }

    @Test
    void truncatedHeaderIsRefused(TestNamespace ns) {
        String topic = ns.name("payments");
        assertThatThrownBy(() -> codec.decode(topic, new byte[] {0, 0, 0}))
                .isInstanceOf(TruncatedPayloadException.class)
                .hasMessage(
                        "record on topic "
                                + topic
                                + " has 3 bytes, fewer than the 5-byte wire-format header");
    }

    @Test
    void truncatedBodyIsRefusedNamingTheSchemaId(TestNamespace ns) {
        String topic = ns.name("payments");
        byte[] framed = codec.encode(topic, ContractSamples.transaction());
        int id = AvroWireCodec.schemaId(topic, framed);
        byte[] cut = Arrays.copyOf(framed, framed.length / 2);
        assertThatThrownBy(() -> codec.decode(topic, cut))
                .isInstanceOf(TruncatedPayloadException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("schema id " + id)
                .hasMessageContaining("ends after " + cut.length + " bytes");
    }

    @Test
    void trailingBytesAreRefusedAsMalformed(TestNamespace ns) {
        String topic = ns.name("payments");
        byte[] framed = codec.encode(topic, ContractSamples.transaction());
        byte[] padded = Arrays.copyOf(framed, framed.length + 3);
        assertThatThrownBy(() -> codec.decode(topic, padded))
                .isInstanceOf(MalformedPayloadException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("bytes left over");
    }

    @Test
    void incompatibleSchemaOnRegisterIsRefusedNamingTopicAndSubject(TestNamespace ns)
            throws Exception {
        String topic = ns.name("payments");
        codec.encode(topic, ContractSamples.transaction());
        String subject = topic + "-value";
        registry.setCompatibility(subject, CompatibilityLevel.BACKWARD);
        Schema broken;
        try (InputStream in =
                getClass().getResourceAsStream("/compat/Transaction-required-field.avsc")) {
            broken = new Schema.Parser().parse(in);
        }
        GenericRecord record = new GenericData.Record(broken);
        for (Schema.Field f : broken.getFields()) {
            Object v =
                    f.name().equals("device_id")
                            ? "d-1"
                            : ContractSamples.transaction().get(f.name());
            if (v instanceof Enum<?> e) {
                v = new GenericData.EnumSymbol(f.schema(), e.name());
            } else if (v instanceof java.time.Instant i) {
                v = i.toEpochMilli();
            }
            record.put(f.name(), v);
        }
        AvroWireCodec<GenericRecord> generic = AvroWireCodec.generic(registry, false);
        assertThatThrownBy(() -> generic.encode(topic, record))
                .isInstanceOfSatisfying(
                        IncompatibleSchemaException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(409);
                            assertThat(e.subject()).isEqualTo(subject);
                        })
                .hasMessageContaining("topic " + topic)
                .hasMessageContaining("subject " + subject);
    }

    @Test
    void writerSchemaThatCannotBeResolvedIsRefused(TestNamespace ns) {
        String topic = ns.name("payments");
        // Same record name, but lacks merchant_id, which the reader requires with no default.
        Schema old =
                SchemaBuilder.record("Transaction")
                        .namespace("dev.tideline.schemas.avro")
                        .fields()
                        .requiredString("txn_id")
                        .endRecord();
        byte[] framed =
                AvroWireCodec.generic(registry, false)
                        .encode(topic, new GenericRecordBuilder(old).set("txn_id", "t1").build());
        int id = AvroWireCodec.schemaId(topic, framed);
        assertThatThrownBy(() -> codec.decode(topic, framed))
                .isInstanceOf(SchemaResolutionException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("schema id " + id)
                .hasMessageContaining("dev.tideline.schemas.avro.Transaction");
    }

    @Test
    void invalidRecordIsRefusedBeforeItIsWritten(TestNamespace ns) {
        String topic = ns.name("payments");
        Transaction bad = ContractSamples.transaction();
        bad.setMerchantId(null);
        assertThatThrownBy(() -> codec.encode(topic, bad))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("merchant_id");
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaIsRefused(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient strict =
                new SchemaRegistryClient(
                        RegistryClientConfig.from(
                                Map.of(
                                        RegistryClientConfig.URL,
                                        stack.registryUrl(),
                                        RegistryClientConfig.AUTO_REGISTER,
                                        "false")));
        String topic = ns.name("payments");
        assertThatThrownBy(
                        () ->
                                AvroWireCodec.specific(Transaction.class, strict, false)
                                        .encode(topic, ContractSamples.transaction()))
                .isInstanceOf(SchemaNotFoundException.class)
                .hasMessageContaining(topic + "-value");
    }

    @Test
    void aConsumerSeesTheBadRecordWithItsOffsetAndCarriesOn(LocalStack stack, TestNamespace ns)
            throws Exception {
        String topic = ns.name("mixed");
        KafkaTestSupport.createTopic(stack.bootstrapServers(), topic, 1);
        byte[] good = codec.encode(topic, ContractSamples.transaction());
        KafkaTestSupport.produce(
                stack.bootstrapServers(),
                new StringSerializer(),
                new ByteArraySerializer(),
                List.of(
                        new ProducerRecord<>(topic, "k", good),
                        new ProducerRecord<>(topic, "k", new byte[] {9, 9, 9, 9, 9, 9}),
                        new ProducerRecord<>(topic, "k", good)));
        try (KafkaConsumer<String, Transaction> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                                ConsumerConfig.GROUP_ID_CONFIG, UUID.randomUUID().toString(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                        new StringDeserializer(),
                        new AvroDeserializer<>(codec))) {
            consumer.subscribe(List.of(topic));
            List<Transaction> read = new java.util.ArrayList<>();
            RecordDeserializationException[] bad = new RecordDeserializationException[1];
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ZERO)
                    .until(
                            () -> {
                                try {
                                    consumer.poll(Duration.ofMillis(100))
                                            .forEach(r -> read.add(r.value()));
                                } catch (RecordDeserializationException e) {
                                    bad[0] = e;
                                    // What a stage does after dead-lettering: skip the record.
                                    consumer.seek(e.topicPartition(), e.offset() + 1);
                                }
                                return read.size() == 2;
                            });
            assertThat(bad[0]).isNotNull();
            assertThat(bad[0].offset()).isEqualTo(1L);
            assertThat(bad[0].getCause())
                    .isInstanceOf(UnknownMagicByteException.class)
                    .hasMessageContaining(topic);
            assertThat(read)
                    .containsExactly(ContractSamples.transaction(), ContractSamples.transaction());
        }
    }
}
