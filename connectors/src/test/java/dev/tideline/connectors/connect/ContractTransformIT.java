package dev.tideline.connectors.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * The Kafka Connect transformation writes what the embedded runner writes, through the real
 * registry.
 */
@WithLocalStack
class ContractTransformIT {

    private static final Schema ROW =
            SchemaBuilder.struct()
                    .name("tideline.public.accounts.Value")
                    .field("account_id", Schema.STRING_SCHEMA)
                    .field("created_at", Schema.STRING_SCHEMA)
                    .field("credit_limit_minor", Schema.INT64_SCHEMA)
                    .field("home_country", Schema.OPTIONAL_STRING_SCHEMA)
                    .field("risk_tier", Schema.OPTIONAL_STRING_SCHEMA)
                    .field("updated_at", Schema.STRING_SCHEMA)
                    .field("nickname", Schema.OPTIONAL_STRING_SCHEMA)
                    .optional()
                    .build();
    private static final Schema SOURCE =
            SchemaBuilder.struct()
                    .field("schema", Schema.STRING_SCHEMA)
                    .field("table", Schema.STRING_SCHEMA)
                    .field("ts_ms", Schema.INT64_SCHEMA)
                    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
                    .build();
    private static final Schema ENVELOPE =
            SchemaBuilder.struct()
                    .name("tideline.public.accounts.Envelope")
                    .field("before", ROW)
                    .field("after", ROW)
                    .field("source", SOURCE)
                    .field("op", Schema.STRING_SCHEMA)
                    .build();

    @Test
    void writesTheContractRecordOrADeadLetter(LocalStack stack, TestNamespace ns) {
        ContractTransform transform = new ContractTransform();
        transform.configure(
                Map.of(
                        "schema.registry.url",
                        stack.registryUrl(),
                        ContractTransform.TOPIC_PREFIX,
                        ns.prefix()));
        TopicCatalog catalog =
                TopicCatalog.create(
                        new TopicCatalogConfig(Map.of(TopicCatalogConfig.PREFIX, ns.prefix())),
                        new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl())));

        SourceRecord out = transform.apply(change(row("a1", "DE", "low")));
        assertThat(out.topic()).isEqualTo(catalog.accounts().name());
        assertThat(new String((byte[]) out.key(), StandardCharsets.UTF_8)).isEqualTo("a1");
        Account account =
                catalog.accounts()
                        .valueSerde()
                        .deserializer()
                        .deserialize(out.topic(), (byte[]) out.value());
        assertThat(account.getRiskTier()).isEqualTo(RiskTier.LOW);
        assertThat(account.getCreatedAt())
                .isEqualTo(
                        Instant.parse("2026-01-02T03:04:05.123456Z")
                                .truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(account.getCreditLimitMinor()).isEqualTo(500_000);

        SourceRecord dead = transform.apply(change(row("a2", null, "LOW")));
        assertThat(dead.topic()).isEqualTo(catalog.cdcDeadLetter().name());
        assertThat(
                        new String(
                                dead.headers().lastWithName(DeadLetter.REASON).value()
                                                instanceof byte[] b
                                        ? b
                                        : new byte[0],
                                StandardCharsets.UTF_8))
                .isEqualTo("missing-value");
        transform.close();
    }

    private static Struct row(String id, String country, String tier) {
        return new Struct(ROW)
                .put("account_id", id)
                .put("created_at", "2026-01-02T03:04:05.123456Z")
                .put("credit_limit_minor", 500_000L)
                .put("home_country", country)
                .put("risk_tier", tier)
                .put("updated_at", "2026-01-02T03:04:05Z")
                .put("nickname", "x");
    }

    private static SourceRecord change(Struct after) {
        Struct source =
                new Struct(SOURCE)
                        .put("schema", "public")
                        .put("table", "accounts")
                        .put("ts_ms", 1L)
                        .put("lsn", 42L);
        Struct envelope =
                new Struct(ENVELOPE).put("after", after).put("source", source).put("op", "c");
        return new SourceRecord(
                Map.of(),
                Map.of(),
                "tideline.public.accounts",
                null,
                null,
                null,
                ENVELOPE,
                envelope);
    }
}
