package dev.tideline.features;

/**
 * A validated transaction as the feature code sees it: amounts in major units of the currency,
 * every field present.
 */
public record Event(
        String txnId,
        String entityId,
        String merchantId,
        long amountMinor,
        double amount,
        String currency,
        int currencyDigits,
        String country,
        String channel,
        long eventTime) {}
