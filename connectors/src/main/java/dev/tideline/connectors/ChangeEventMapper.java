package dev.tideline.connectors;

import dev.tideline.schemas.DeadLetter;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Label;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one Debezium change event into the Kafka record Tideline's contracts call for: an account
 * row keyed by account id on {@code cdc.accounts} (a delete becomes a tombstone), a chargeback as a
 * label keyed by transaction id on {@code cdc.labels}, or a dead letter on {@code cdc.dlq}. The
 * embedded runner and the Kafka Connect transformation both use it, so both deployments write the
 * same bytes.
 */
public final class ChangeEventMapper {

    private static final Logger log = LoggerFactory.getLogger(ChangeEventMapper.class);
    static final String STAGE = "connectors";

    private final TopicCatalog catalog;
    private final CdcMetrics metrics;

    public ChangeEventMapper(TopicCatalog catalog, CdcMetrics metrics) {
        this.catalog = catalog;
        this.metrics = metrics;
    }

    /**
     * The record to write, or null when there is nothing to send (heartbeats, chargeback deletes).
     */
    public ProducerRecord<byte[], byte[]> map(SourceRecord record) {
        if (!(record.value() instanceof Struct envelope) || envelope.schema().field("op") == null) {
            return null; // heartbeats, transaction markers, Debezium's own tombstones
        }
        String op = envelope.getString("op");
        Struct source = envelope.getStruct("source");
        String table = source.getString("table");
        String qualified = source.getString("schema") + "." + table;
        if (metrics != null) {
            metrics.event(table, op);
            if (source.get("ts_ms") instanceof Long ms) {
                metrics.sourceTime(ms);
            }
        }
        Struct row = "d".equals(op) ? envelope.getStruct("before") : envelope.getStruct("after");
        if (row == null) {
            return null;
        }
        try {
            if (RowMapper.ACCOUNTS.equals(table)) {
                Topic<String, Account> topic = catalog.accounts();
                if ("d".equals(op)) {
                    return new ProducerRecord<>(
                            topic.name(), bytes(RowMapper.key(qualified, row)), null);
                }
                Account account = RowMapper.account(qualified, row);
                return new ProducerRecord<>(
                        topic.name(),
                        null,
                        validFrom(account, source),
                        bytes(account.getAccountId()),
                        topic.valueSerde().serializer().serialize(topic.name(), account));
            }
            if (RowMapper.CHARGEBACKS.equals(table)) {
                if ("d".equals(op)) {
                    return null; // labels are facts; see the migration's note
                }
                Topic<String, Label> topic = catalog.labels();
                Label label = RowMapper.label(qualified, row);
                return new ProducerRecord<>(
                        topic.name(),
                        bytes(label.getTxnId()),
                        topic.valueSerde().serializer().serialize(topic.name(), label));
            }
            return null;
        } catch (RowRejectedException e) {
            if (metrics != null) {
                metrics.deadLetter(e.reason());
            }
            log.warn("Dead-lettering a row of {}: {}", qualified, e.getMessage());
            return DeadLetter.record(
                    catalog.cdcDeadLetter().name(),
                    bytes(RowMapper.key(qualified, row)),
                    row.toString().getBytes(StandardCharsets.UTF_8),
                    null,
                    STAGE,
                    e.reason(),
                    e,
                    new DeadLetter.Source(
                            qualified, 0, source.get("lsn") instanceof Long lsn ? lsn : -1));
        }
    }

    /**
     * The record timestamp of an account row: when the row took effect in the source, its {@code
     * updated_at}, and never later than the commit that carried it ({@code source.ts_ms}). Stream
     * processors order the table's changes against transactions by it, so a transaction is joined
     * with the profile as of its own event time even when history is loaded or replayed (a
     * back-filled row carries its historical {@code updated_at}).
     */
    static long validFrom(Account account, Struct source) {
        long updated = account.getUpdatedAt().toEpochMilli();
        long committed = source.get("ts_ms") instanceof Long ms ? ms : System.currentTimeMillis();
        return Math.max(0, Math.min(updated, committed));
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
