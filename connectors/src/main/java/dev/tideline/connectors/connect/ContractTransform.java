package dev.tideline.connectors.connect;

import dev.tideline.connectors.ChangeEventMapper;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * A Kafka Connect transformation for Debezium's PostgreSQL connector: maps each change event to
 * Tideline's contract and serializes it in the Confluent wire format through the registry, exactly
 * as the embedded runner does. Pair it with {@code ByteArrayConverter} for keys and values.
 *
 * <p>Rows the contract cannot carry are re-addressed to {@code cdc.dlq} with the dead-letter
 * headers, because Kafka Connect has no dead-letter queue for source connectors.
 */
public final class ContractTransform implements Transformation<SourceRecord> {

    public static final String TOPIC_PREFIX = "topics.prefix";

    /** The registry client's own settings (Confluent's keys), plus Tideline's topic prefix. */
    private static final ConfigDef CONFIG =
            new ConfigDef(RegistryClientConfig.DEFINITION)
                    .define(
                            TOPIC_PREFIX,
                            Type.STRING,
                            "",
                            Importance.MEDIUM,
                            "Tideline's topic prefix (tideline.topics.prefix).");

    private ChangeEventMapper mapper;

    @Override
    public void configure(Map<String, ?> configs) {
        Map<String, Object> registryConfig = new HashMap<>();
        configs.forEach(
                (k, v) -> {
                    if (RegistryClientConfig.DEFINITION.names().contains(k)) {
                        registryConfig.put(k, v);
                    }
                });
        Object prefix = configs.get(TOPIC_PREFIX);
        TopicCatalog catalog =
                TopicCatalog.create(
                        new TopicCatalogConfig(
                                Map.of(
                                        TopicCatalogConfig.PREFIX,
                                        prefix == null ? "" : prefix.toString())),
                        new SchemaRegistryClient(RegistryClientConfig.from(registryConfig)));
        this.mapper = new ChangeEventMapper(catalog, null);
    }

    @Override
    public SourceRecord apply(SourceRecord record) {
        ProducerRecord<byte[], byte[]> out = mapper.map(record);
        if (out == null) {
            return null;
        }
        ConnectHeaders headers = new ConnectHeaders();
        out.headers().forEach(h -> headers.addBytes(h.key(), h.value()));
        return record.newRecord(
                out.topic(),
                null,
                Schema.OPTIONAL_BYTES_SCHEMA,
                out.key(),
                Schema.OPTIONAL_BYTES_SCHEMA,
                out.value(),
                out.timestamp() != null ? out.timestamp() : record.timestamp(),
                headers);
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public void close() {}
}
