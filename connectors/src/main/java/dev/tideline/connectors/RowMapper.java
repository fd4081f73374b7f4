package dev.tideline.connectors;

import static dev.tideline.connectors.RowRejectedException.INVALID_VALUE;
import static dev.tideline.connectors.RowRejectedException.MISSING_VALUE;

import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.RiskTier;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Maps captured rows to the Avro contracts. Columns the contract does not know are ignored, so a
 * column added to a source table changes nothing until the contract evolves; a required column that
 * is missing from the row's schema is drift and stops the runner.
 */
final class RowMapper {

    static final String ACCOUNTS = "accounts";
    static final String CHARGEBACKS = "chargebacks";

    private static final List<String> ACCOUNT_COLUMNS =
            List.of(
                    "account_id",
                    "created_at",
                    "credit_limit_minor",
                    "home_country",
                    "risk_tier",
                    "updated_at");
    private static final List<String> CHARGEBACK_COLUMNS =
            List.of("txn_id", "account_id", "is_fraud", "reported_at");

    private RowMapper() {}

    static Account account(String table, Struct row) {
        requireColumns(table, row, ACCOUNT_COLUMNS);
        long limit = number(table, row, "credit_limit_minor");
        if (limit < 0) {
            throw new RowRejectedException(
                    INVALID_VALUE, table + ".credit_limit_minor is negative: " + limit);
        }
        return Account.newBuilder()
                .setAccountId(text(table, row, "account_id"))
                .setCreatedAt(instant(table, row, "created_at"))
                .setCreditLimitMinor(limit)
                .setHomeCountry(country(table, row, "home_country"))
                .setRiskTier(riskTier(table, row))
                .setUpdatedAt(instant(table, row, "updated_at"))
                .build();
    }

    static Label label(String table, Struct row) {
        requireColumns(table, row, CHARGEBACK_COLUMNS);
        Object fraud = row.get("is_fraud");
        if (!(fraud instanceof Boolean isFraud)) {
            throw new RowRejectedException(MISSING_VALUE, table + ".is_fraud is " + fraud);
        }
        return Label.newBuilder()
                .setTxnId(text(table, row, "txn_id"))
                .setAccountId(text(table, row, "account_id"))
                .setIsFraud(isFraud)
                .setReportedAt(instant(table, row, "reported_at"))
                .setMerchantId(optionalText(row, "merchant_id"))
                .build();
    }

    /** A column the contract may leave empty: null when the table lacks it or the row has none. */
    private static String optionalText(Struct row, String column) {
        if (row.schema().field(column) == null) {
            return null;
        }
        Object value = row.get(column);
        return value == null || value.toString().isBlank() ? null : value.toString();
    }

    /** The key column of a row, for tombstones and dead letters. */
    static String key(String table, Struct row) {
        Object key = row.get(table.endsWith(ACCOUNTS) ? "account_id" : "txn_id");
        return key == null ? null : key.toString();
    }

    private static void requireColumns(String table, Struct row, List<String> columns) {
        for (String column : columns) {
            Field field = row.schema().field(column);
            if (field == null) {
                throw new SchemaDriftException(table, column);
            }
        }
    }

    private static String text(String table, Struct row, String column) {
        Object value = row.get(column);
        if (value == null || value.toString().isBlank()) {
            throw new RowRejectedException(MISSING_VALUE, table + "." + column + " is empty");
        }
        return value.toString();
    }

    private static long number(String table, Struct row, String column) {
        Object value = row.get(column);
        if (!(value instanceof Number n)) {
            throw new RowRejectedException(MISSING_VALUE, table + "." + column + " is " + value);
        }
        return n.longValue();
    }

    private static String country(String table, Struct row, String column) {
        String value = text(table, row, column).trim().toUpperCase(Locale.ROOT);
        if (!value.matches("[A-Z]{2}")) {
            throw new RowRejectedException(
                    INVALID_VALUE,
                    table + "." + column + " '" + value + "' is not an ISO 3166-1 alpha-2 code");
        }
        return value;
    }

    private static RiskTier riskTier(String table, Struct row) {
        String value = text(table, row, "risk_tier").trim().toUpperCase(Locale.ROOT);
        try {
            return RiskTier.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new RowRejectedException(
                    INVALID_VALUE,
                    table
                            + ".risk_tier '"
                            + value
                            + "' is not one of "
                            + Arrays.toString(RiskTier.values()));
        }
    }

    /** Debezium sends timestamptz as ISO-8601 text (io.debezium.time.ZonedTimestamp). */
    private static Instant instant(String table, Struct row, String column) {
        Object value = row.get(column);
        if (value == null) {
            throw new RowRejectedException(MISSING_VALUE, table + "." + column + " is null");
        }
        if (value instanceof Date d) {
            return d.toInstant();
        }
        try {
            return OffsetDateTime.parse(value.toString()).toInstant();
        } catch (DateTimeParseException e) {
            throw new RowRejectedException(
                    INVALID_VALUE, table + "." + column + " '" + value + "' is not a timestamp");
        }
    }
}
