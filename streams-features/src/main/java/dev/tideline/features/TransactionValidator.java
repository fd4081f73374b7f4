package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.AMOUNT_OUT_OF_RANGE;
import static dev.tideline.features.RejectedRecordException.FUTURE_EVENT_TIME;
import static dev.tideline.features.RejectedRecordException.INVALID_AMOUNT;
import static dev.tideline.features.RejectedRecordException.INVALID_EVENT_TIME;
import static dev.tideline.features.RejectedRecordException.KEY_MISMATCH;
import static dev.tideline.features.RejectedRecordException.MISSING_FIELD;
import static dev.tideline.features.RejectedRecordException.MISSING_VALUE;
import static dev.tideline.features.RejectedRecordException.UNKNOWN_CURRENCY;

import dev.tideline.schemas.avro.Transaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Turns a deserialized transaction into an {@link Event}, or rejects it with a reason. */
final class TransactionValidator {

    private static final Map<String, Integer> DIGITS = new ConcurrentHashMap<>();

    private final double maxAmount;
    private final Money money;
    private final long maxFutureSkewMs;
    private final Clock clock;

    /**
     * @param maxAmount the largest plausible amount, in major units of any currency (of the base
     *     currency when the spec converts)
     * @param maxFutureSkew how far ahead of {@code clock} an event time may be
     */
    TransactionValidator(double maxAmount, Duration maxFutureSkew, Clock clock) {
        this(maxAmount, maxFutureSkew, clock, Money.NONE);
    }

    /**
     * @param money how amounts in several currencies are converted to one before they count
     */
    TransactionValidator(double maxAmount, Duration maxFutureSkew, Clock clock, Money money) {
        this.money = money;
        this.maxAmount = maxAmount;
        this.maxFutureSkewMs = maxFutureSkew.toMillis();
        this.clock = clock;
    }

    /** Whether an event time is further ahead of the clock than the allowed skew. */
    boolean inTheFuture(long eventTimeMs) {
        return eventTimeMs > clock.millis() + maxFutureSkewMs;
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
        // In the spec's base currency when it has one: sums and means then add like to like.
        double amount = money.toBase(tx.getAmountMinor() / Math.pow(10, digits), tx.getCurrency());
        if (amount > maxAmount) {
            throw new RejectedRecordException(
                    AMOUNT_OUT_OF_RANGE,
                    "amount "
                            + amount
                            + " "
                            + (money.converts() ? money.base() : tx.getCurrency())
                            + " exceeds the bound "
                            + maxAmount
                            + " (tideline.features.max-amount)");
        }
        if (tx.getEventTime() == null || tx.getEventTime().toEpochMilli() <= 0) {
            throw new RejectedRecordException(
                    INVALID_EVENT_TIME, "event_time " + tx.getEventTime() + " is not after 1970");
        }
        if (inTheFuture(tx.getEventTime().toEpochMilli())) {
            // Before it touches any state or clock: brokers refuse such record timestamps, and
            // the partition's clock would mark every later payment late.
            throw new RejectedRecordException(
                    FUTURE_EVENT_TIME,
                    "event_time "
                            + tx.getEventTime()
                            + " is more than "
                            + Duration.ofMillis(maxFutureSkewMs)
                            + " ahead of this instance's clock ("
                            + Instant.ofEpochMilli(clock.millis())
                            + "; tideline.features.max-future-skew)");
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
