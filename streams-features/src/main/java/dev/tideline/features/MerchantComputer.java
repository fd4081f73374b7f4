package dev.tideline.features;

import dev.tideline.features.FeatureDef.MerchantFeature;
import dev.tideline.schemas.avro.FeatureVector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Completes a vector with the spec's merchant features from the merchant's state, folding the
 * payment in; and folds in the frauds reported for the merchant. Only the merchant features'
 * positions of the vector change.
 */
final class MerchantComputer {

    private final FeatureSpec spec;
    private final MerchantState state;
    private final int[] positions;
    private final MerchantFeature[] features;
    private final int[] windowOf;
    private final Transform[] transforms;

    MerchantComputer(FeatureSpec spec) {
        this.spec = spec;
        this.state = new MerchantState(spec);
        List<FeatureDef> all = spec.features();
        int n = (int) all.stream().filter(f -> f instanceof MerchantFeature).count();
        positions = new int[n];
        features = new MerchantFeature[n];
        windowOf = new int[n];
        transforms = new Transform[n];
        int j = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i) instanceof MerchantFeature m) {
                positions[j] = i;
                features[j] = m;
                windowOf[j] = state.windows().indexOf(m.window());
                transforms[j] = spec.transform(m.name());
                j++;
            }
        }
    }

    FeatureSpec spec() {
        return spec;
    }

    MerchantState state() {
        return state;
    }

    /**
     * The vector with its merchant features filled in: the payment folded into the merchant's state
     * first, so the windows include it, and the frauds reported up to its time.
     */
    FeatureVector complete(byte[] merchant, FeatureVector vector, double amount) {
        long t = vector.getEventTime().toEpochMilli();
        state.addPayment(merchant, t, amount);
        List<Float> values = new ArrayList<>(vector.getValues());
        for (int j = 0; j < features.length; j++) {
            values.set(positions[j], (float) transforms[j].apply(value(merchant, j, t)));
        }
        return FeatureVector.newBuilder(vector).setValues(values).build();
    }

    /**
     * The merchant features of a merchant's state as of {@code at}, by name in the spec's order,
     * folding nothing in: what a payment at the merchant at {@code at} would see besides itself
     * (transformed as the spec declares, as in a vector).
     */
    Map<String, Double> current(byte[] merchant, long at) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int j = 0; j < features.length; j++) {
            out.put(features[j].name(), transforms[j].apply(value(merchant, j, at)));
        }
        return out;
    }

    /** Merchant feature {@code j} of a merchant's state as of {@code t}. */
    private double value(byte[] merchant, int j, long t) {
        double[] totals = state.totals(merchant, windowOf[j], t);
        return switch (features[j].agg()) {
            case COUNT -> totals[0];
            case AMOUNT_MEAN -> totals[0] == 0 ? features[j].defaultValue() : totals[1] / totals[0];
            case FRAUD_COUNT -> totals[2];
            case FRAUD_RATE ->
                    totals[0] == 0
                            ? features[j].defaultValue()
                            : Math.min(1.0, totals[2] / totals[0]);
        };
    }

    /** Folds in a fraud reported at {@code reportedAt}. */
    void fraud(byte[] merchant, long reportedAt) {
        state.addFraud(merchant, reportedAt);
    }

    /** The positions of the merchant features in the vector. */
    int[] positions() {
        return positions.clone();
    }
}
