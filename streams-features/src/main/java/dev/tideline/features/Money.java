package dev.tideline.features;

import static dev.tideline.features.RejectedRecordException.UNKNOWN_CURRENCY;

import java.util.Map;
import java.util.TreeMap;

/**
 * How a spec adds amounts in several currencies: each is converted to {@code base} at its rate
 * (units of the base currency per unit of the currency) before it is aggregated. The rates are part
 * of the spec, and so of its fingerprint: every vector, replayed or not, is computed with the rates
 * its model was trained with, and new rates are a new spec version.
 *
 * <p>{@link #NONE}, a spec without a base currency, takes every amount as it is: right for traffic
 * in one currency only.
 */
record Money(String base, Map<String, Double> rates) {

    static final Money NONE = new Money(null, Map.of());

    Money {
        rates = Map.copyOf(new TreeMap<>(rates));
    }

    boolean converts() {
        return base != null;
    }

    /**
     * {@code amount}, in major units of {@code currency}, in major units of the base currency.
     *
     * @throws RejectedRecordException {@code unknown-currency} when the spec has no rate for it
     */
    double toBase(double amount, String currency) {
        if (base == null || base.equals(currency)) {
            return amount;
        }
        Double rate = rates.get(currency);
        if (rate == null) {
            throw new RejectedRecordException(
                    UNKNOWN_CURRENCY,
                    "no rate for currency '"
                            + currency
                            + "' to the spec's base currency "
                            + base
                            + " (the spec's rates: "
                            + String.join(", ", new TreeMap<>(rates).keySet())
                            + ")");
        }
        return amount * rate;
    }
}
