package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.AMOUNT_OUT_OF_RANGE;
import static dev.tideline.features.RejectedRecordException.INVALID_AMOUNT;
import static dev.tideline.features.RejectedRecordException.INVALID_EVENT_TIME;
import static dev.tideline.features.RejectedRecordException.KEY_MISMATCH;
import static dev.tideline.features.RejectedRecordException.MISSING_FIELD;
import static dev.tideline.features.RejectedRecordException.MISSING_VALUE;
import static dev.tideline.features.RejectedRecordException.UNKNOWN_CURRENCY;

import dev.tideline.schemas.avro.Transaction;
import java.util.Currency;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Turns a deserialized transaction into an {@link Event}, or rejects it with a reason. */
final class TransactionValidator {

    private static final Map<String, Integer> DIGITS = new ConcurrentHashMap<>();

    private final double maxAmount;

    /**
     * @param maxAmount the largest plausible amount, in major units of any currency
     */
    TransactionValidator(double maxAmount) {
        this.maxAmount = maxAmount;
    }

    Event validate(String key, Transaction tx) {
        if (tx == null) {
            throw new RejectedRecordException(
                    MISSING_VALUE, "the record has no value (a tombstone)");
        }
        require(tx.getTxnId(), "txn_id");
        require(tx.getEntityId(), "entity_id");
        require(tx.getMerchantId(), "merchant_id");
        require(tx.getCountry(), "country");
        require(tx.getCurrency(), "currency");
        if (!tx.getEntityId().equals(key)) {
            throw new RejectedRecordException(
                    KEY_MISMATCH,
                    "record key '"
                            + key
                            + "' differs from entity_id '"
                            + tx.getEntityId()
                            + "': the record was partitioned by the wrong key");
        }
        if (tx.getAmountMinor() <= 0) {
            throw new RejectedRecordException(
                    INVALID_AMOUNT, "amount_minor must be positive, not " + tx.getAmountMinor());
        }
        int digits = currencyDigits(tx.getCurrency());
        double amount = tx.getAmountMinor() / Math.pow(10, digits);
        if (amount > maxAmount) {
            throw new RejectedRecordException(
                    AMOUNT_OUT_OF_RANGE,
                    "amount "
                            + amount
                            + " "
                            + tx.getCurrency()
                            + " exceeds the bound "
                            + maxAmount
                            + " (tideline.features.max-amount)");
        }
        if (tx.getEventTime() == null || tx.getEventTime().toEpochMilli() <= 0) {
            throw new RejectedRecordException(
                    INVALID_EVENT_TIME, "event_time " + tx.getEventTime() + " is not after 1970");
        }
        return new Event(
                tx.getTxnId(),
                tx.getEntityId(),
                tx.getMerchantId(),
                tx.getAmountMinor(),
                amount,
                tx.getCurrency(),
                digits,
                tx.getCountry(),
                tx.getChannel().name(),
                tx.getEventTime().toEpochMilli());
    }

    private static void require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new RejectedRecordException(MISSING_FIELD, field + " is empty");
        }
    }

    /** The minor-unit digits of an ISO 4217 currency; rejects one without them. */
    static int currencyDigits(String code) {
        Integer digits = DIGITS.get(code);
        if (digits != null) {
            return digits;
        }
        int d = -1;
        if (code.length() == 3 && code.equals(code.toUpperCase(Locale.ROOT))) {
            try {
                d = Currency.getInstance(code).getDefaultFractionDigits();
            } catch (IllegalArgumentException unknown) {
                d = -1;
            }
        }
        if (d < 0) {
            // Unknown codes, and codes without minor units such as gold (XAU), cannot be converted.
            throw new RejectedRecordException(
                    UNKNOWN_CURRENCY,
                    "currency '" + code + "' is not an ISO 4217 currency with minor units");
        }
        DIGITS.put(code, d);
        return d;
    }
}
