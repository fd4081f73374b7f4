package dev.tideline.simulator;

import dev.tideline.schemas.TopicCatalog;
import java.util.Map;

/**
 * Where a simulation writes, as any outside producer would: payments to the transactions topic
 * through Kafka, account rows and chargebacks into the source database through JDBC (from where CDC
 * brings them to the pipeline).
 *
 * @param kafkaClient Kafka client settings, {@code bootstrap.servers} included
 * @param catalog the pipeline's topics (and their serdes, with the registry)
 * @param jdbcUrl the source database, migrated with the connectors' schema
 */
public record Target(
        Map<String, Object> kafkaClient,
        TopicCatalog catalog,
        String jdbcUrl,
        String jdbcUser,
        String jdbcPassword) {

    public Target {
        kafkaClient = Map.copyOf(kafkaClient);
        if (!kafkaClient.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException("the Kafka client settings need bootstrap.servers");
        }
    }
}
