package dev.tideline.features;

import java.util.Optional;

/** One value of the feature vector, as the spec declares it. */
public sealed interface FeatureDef {

    String name();

    /** The value used when the feature has no value (empty window, no profile, no history). */
    double defaultValue();

    /** A field of the event itself. */
    record EventFeature(String name, Field field, double defaultValue) implements FeatureDef {}

    /** An aggregate over one window's tiles, optionally over the events a filter keeps. */
    record WindowFeature(
            String name,
            Aggregation agg,
            Optional<Field> field,
            Optional<Filter> filter,
            Window window,
            int sketchBits,
            double defaultValue)
            implements FeatureDef {}

    /** A value from the entity's history beyond any window. */
    record EntityFeature(String name, EntityFunction fn, Optional<Field> field, double defaultValue)
            implements FeatureDef {}

    /** A value from the entity's latest account profile. */
    record ProfileFeature(String name, ProfileField field, double defaultValue)
            implements FeatureDef {}

    /**
     * An aggregate of the payments at the event's merchant in a window, or of the frauds known
     * there: the merchant's state lives in its own store, partitioned by merchant.
     */
    record MerchantFeature(String name, MerchantAggregation agg, Window window, double defaultValue)
            implements FeatureDef {}

    /** The ratio of two features declared earlier in the spec. */
    record DerivedFeature(String name, String numerator, String denominator, double defaultValue)
            implements FeatureDef {}

    /** Window aggregations. */
    enum Aggregation {
        COUNT,
        SUM,
        MEAN,
        MIN,
        MAX,
        STDDEV,
        DISTINCT,
        RATIO;

        boolean needsNumericField() {
            return this == SUM || this == MEAN || this == MIN || this == MAX || this == STDDEV;
        }
    }

    /** Merchant aggregations. */
    enum MerchantAggregation {
        /** Payments at the merchant in the window, the event included. */
        COUNT,
        /** Their mean amount, in major units. */
        AMOUNT_MEAN,
        /**
         * Chargebacks reported for the merchant's payments within the window and by the event's
         * time: only what was known when the payment was made.
         */
        FRAUD_COUNT,
        /** Those chargebacks per payment at the merchant in the same window. */
        FRAUD_RATE
    }

    /** Entity-level functions. */
    enum EntityFunction {
        /** Seconds between this event and the entity's latest earlier event. */
        TIME_SINCE_LAST,
        /** The event's value against the mean and standard deviation of the entity's history. */
        ZSCORE,
        /** The value of the entity's previous event. */
        LAST
    }

    /** Profile values derived from the account row. */
    enum ProfileField {
        /** Days from the account's creation to the event. */
        ACCOUNT_AGE_DAYS,
        /** Credit limit in major units of the event's currency. */
        CREDIT_LIMIT,
        /** Risk tier as its ordinal: 0 unknown, 1 low, 2 medium, 3 high. */
        RISK_TIER,
        /** 1 when the event's country differs from the account's home country, else 0. */
        IS_FOREIGN
    }
}
