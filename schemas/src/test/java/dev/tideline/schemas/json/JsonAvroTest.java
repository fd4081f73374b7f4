package dev.tideline.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.schemas.ContractSamples;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.avro.Transaction;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

class JsonAvroTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void readsAPlainTransactionWithAnIsoTimestamp() throws Exception {
        GenericRecord record =
                JsonAvro.toRecord(
                        json(
                                "{\"txn_id\":\"t1\",\"entity_id\":\"a1\",\"merchant_id\":\"m1\","
                                    + "\"amount_minor\":1250,\"currency\":\"EUR\",\"country\":\"FR\","
                                    + "\"channel\":\"CONTACTLESS\","
                                    + "\"event_time\":\"2026-11-23T10:15:30.123Z\"}"),
                        Transaction.getClassSchema());
        assertThat(record.get("amount_minor")).isEqualTo(1250L);
        assertThat(record.get("event_time")).isEqualTo(1_795_428_930_123L);
        assertThat(record.get("channel").toString()).isEqualTo("CONTACTLESS");
    }

    @Test
    void acceptsEpochMillisAndOffsetTimestamps() throws Exception {
        String common =
                "\"txn_id\":\"t1\",\"entity_id\":\"a1\",\"merchant_id\":\"m1\",\"amount_minor\":1,"
                        + "\"currency\":\"EUR\",\"country\":\"FR\",\"channel\":\"ATM\",";
        GenericRecord millis =
                JsonAvro.toRecord(
                        json("{" + common + "\"event_time\":1795428930123}"),
                        Transaction.getClassSchema());
        GenericRecord offset =
                JsonAvro.toRecord(
                        json("{" + common + "\"event_time\":\"2026-11-23T11:15:30.123+01:00\"}"),
                        Transaction.getClassSchema());
        assertThat(millis.get("event_time")).isEqualTo(offset.get("event_time"));
    }

    @Test
    void nullableFieldsTakeTheBareValueOrNullOrNothing() throws Exception {
        String base =
                "\"txn_id\":\"t1\",\"entity_id\":\"a1\",\"score\":0.5,\"spec_fingerprint\":\"f\","
                        + "\"fallback\":false,\"event_time\":0,\"scored_at\":1";
        GenericRecord bare =
                JsonAvro.toRecord(
                        json("{" + base + ",\"model_name\":\"fraud\",\"model_version\":3}"),
                        Prediction.getClassSchema());
        assertThat(bare.get("model_version")).isEqualTo(3L);
        GenericRecord explicitNull =
                JsonAvro.toRecord(
                        json("{" + base + ",\"model_name\":null}"), Prediction.getClassSchema());
        assertThat(explicitNull.get("model_name")).isNull();
        assertThat(explicitNull.get("model_version")).isNull();
    }

    @Test
    void roundTripsEveryContractThroughJson() {
        for (var sample : ContractSamples.all()) {
            GenericRecord generic =
                    (GenericRecord) SpecificData.get().deepCopy(sample.getSchema(), sample);
            JsonNode rendered = JsonAvro.toJson((GenericRecord) sample);
            GenericRecord back = JsonAvro.toRecord(rendered, sample.getSchema());
            assertThat(JsonAvro.toJson(back)).as(sample.getSchema().getName()).isEqualTo(rendered);
            assertThat(rendered.toString())
                    .doesNotContain("{\"long\"")
                    .doesNotContain("{\"string\"");
            assertThat(generic.getSchema()).isEqualTo(back.getSchema());
        }
    }

    @Test
    void rendersTimestampsAsIsoAndBytesAsBase64() {
        JsonNode json = JsonAvro.toJson(ContractSamples.modelRelease());
        assertThat(json.get("created_at").asText()).isEqualTo("2026-11-23T10:15:30.123Z");
        assertThat(json.get("onnx").asText()).isEqualTo("CAcSBHRlc3Q=");
        assertThat(json.get("artifact_uri").isNull()).isTrue();
        assertThat(json.get("parent_version").asLong()).isEqualTo(2L);
        assertThat(ModelRelease.getClassSchema().getField("onnx")).isNotNull();
    }

    @Test
    void refusesUnknownFieldsNamingThem() throws Exception {
        assertThatThrownBy(
                        () ->
                                JsonAvro.toRecord(
                                        json("{\"txn_id\":\"t\",\"amount\":1}"),
                                        Transaction.getClassSchema()))
                .isInstanceOf(JsonAvroException.class)
                .hasMessageStartingWith("$: unknown field [amount] for Transaction");
    }

    @Test
    void refusesMissingRequiredFieldWithItsPath() throws Exception {
        assertThatThrownBy(
                        () ->
                                JsonAvro.toRecord(
                                        json("{\"txn_id\":\"t\"}"), Transaction.getClassSchema()))
                .isInstanceOf(JsonAvroException.class)
                .hasMessage("$.entity_id: missing required field");
    }

    @Test
    void refusesWrongTypesWithPathAndValue() throws Exception {
        String text =
                "{\"txn_id\":\"t1\",\"entity_id\":\"a1\",\"merchant_id\":\"m1\","
                        + "\"amount_minor\":12.5,\"currency\":\"EUR\",\"country\":\"FR\","
                        + "\"channel\":\"ATM\",\"event_time\":0}";
        assertThatThrownBy(() -> JsonAvro.toRecord(json(text), Transaction.getClassSchema()))
                .hasMessage("$.amount_minor: expected a 64-bit integer, got 12.5");
        assertThatThrownBy(
                        () ->
                                JsonAvro.toRecord(
                                        json(
                                                text.replace("12.5", "1")
                                                        .replace("\"ATM\"", "\"POS\"")),
                                        Transaction.getClassSchema()))
                .hasMessageStartingWith("$.channel: expected one of [UNKNOWN, CARD_PRESENT");
        assertThatThrownBy(
                        () ->
                                JsonAvro.toRecord(
                                        json(
                                                text.replace("12.5", "1")
                                                        .replace(
                                                                "\"event_time\":0",
                                                                "\"event_time\":\"yesterday\"")),
                                        Transaction.getClassSchema()))
                .hasMessageStartingWith("$.event_time: expected epoch milliseconds or an ISO-8601");
    }
}
