package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import dev.tideline.schemas.serde.SerdeException;
import dev.tideline.testkit.TestModels;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

@WithLocalStack
class VectorDecoderIT {

    @Test
    void readsTheKnownSchemaFieldByFieldAndEvolvedOnesThroughTheContract(
            LocalStack stack, TestNamespace ns) throws Exception {
        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        TopicCatalog catalog =
                TopicCatalog.create(
                        new TopicCatalogConfig(Map.of(TopicCatalogConfig.PREFIX, ns.prefix())),
                        registry);
        String topic = catalog.features().name();
        VectorDecoder decoder = new VectorDecoder(catalog.features(), registry);
        float[] rows = new float[8];

        FeatureVector v = vector("txn-1", 1.5f, -2f, 3f, 4.25f);
        byte[] known = catalog.features().valueSerde().serializer().serialize(topic, v);
        VectorDecoder.Header h = new VectorDecoder.Header();
        assertThat(decoder.decode(topic, known, h, rows, 4, 4)).isTrue();
        assertThat(h.txnId).isEqualTo("txn-1");
        assertThat(h.entityId).isEqualTo("e-1");
        assertThat(h.specFingerprint).isEqualTo(TestModels.FINGERPRINT);
        assertThat(h.eventTimeMs).isEqualTo(1_000);
        assertThat(h.computedAtMs).isEqualTo(2_000);
        assertThat(h.width).isEqualTo(4);
        assertThat(rows).containsExactly(0, 0, 0, 0, 1.5f, -2f, 3f, 4.25f);

        // A producer on a newer contract: one more field, with a default.
        Schema evolved =
                new Schema.Parser()
                        .parse(
                                FeatureVector.getClassSchema()
                                        .toString()
                                        .replace(
                                                "\"fields\":[",
                                                "\"fields\":[{\"name\":\"channel\",\"type\":[\"null\","
                                                    + "\"string\"],\"default\":null},"));
        int id = registry.register(topic + "-value", evolved);
        GenericRecord record = new GenericData.Record(evolved);
        record.put("channel", "web");
        for (Schema.Field f : FeatureVector.getClassSchema().getFields()) {
            Object value = v.get(f.pos());
            if (value instanceof Instant t) {
                value = t.toEpochMilli();
            }
            record.put(f.name(), value);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(evolved).write(record, encoder);
        encoder.flush();
        float[] again = new float[4];
        VectorDecoder.Header e = new VectorDecoder.Header();
        assertThat(decoder.decode(topic, out.toByteArray(), e, again, 0, 4)).isTrue();
        assertThat(e.txnId).isEqualTo("txn-1");
        assertThat(e.computedAtMs).isEqualTo(2_000);
        assertThat(again).containsExactly(1.5f, -2f, 3f, 4.25f);

        VectorDecoder.Header wide = new VectorDecoder.Header();
        float[] small = new float[2];
        assertThat(decoder.decode(topic, known, wide, small, 0, 2)).isTrue();
        assertThat(wide.width).as("another width is counted, not written").isEqualTo(4);

        assertThat(decoder.decode(topic, null, new VectorDecoder.Header(), rows, 0, 4)).isFalse();
        byte[] truncated = java.util.Arrays.copyOf(known, known.length - 3);
        assertThatThrownBy(
                        () ->
                                decoder.decode(
                                        topic, truncated, new VectorDecoder.Header(), rows, 0, 4))
                .isInstanceOf(SerdeException.class);
    }

    private static FeatureVector vector(String txn, float... values) {
        List<Float> list = new ArrayList<>();
        for (float x : values) {
            list.add(x);
        }
        return FeatureVector.newBuilder()
                .setTxnId(txn)
                .setEntityId("e-1")
                .setEventTime(Instant.ofEpochMilli(1_000))
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint(TestModels.FINGERPRINT)
                .setValues(list)
                .setMerchantId("m")
                .setAmountMinor(100)
                .setCurrency("EUR")
                .setComputedAt(Instant.ofEpochMilli(2_000))
                .build();
    }
}
