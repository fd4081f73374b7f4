package dev.tideline.features;

import dev.tideline.features.FeatureDef.Aggregation;
import dev.tideline.features.FeatureDef.DerivedFeature;
import dev.tideline.features.FeatureDef.EntityFeature;
import dev.tideline.features.FeatureDef.EntityFunction;
import dev.tideline.features.FeatureDef.EventFeature;
import dev.tideline.features.FeatureDef.MerchantFeature;
import dev.tideline.features.FeatureDef.ProfileFeature;
import dev.tideline.features.FeatureDef.ProfileField;
import dev.tideline.features.FeatureDef.WindowFeature;
import dev.tideline.features.StateLayout.Aggregate;
import dev.tideline.features.StateLayout.WindowLayout;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Computes a spec's feature vector for an event from the entity's state, folding the event into
 * that state. Deterministic: the same state, event and profile always give the same vector and
 * state. An instance keeps scratch buffers, so each thread (each Streams task) uses its own.
 */
public final class FeatureComputer {

    private static final double MS_PER_DAY = 86_400_000.0;

    private final FeatureSpec spec;
    private final Transform[] transforms;
    private final StateLayout layout;
    private final List<FeatureDef> features;
    private final int[] windowOf;
    private final int[] countIdx;
    private final int[] allIdx;
    private final int[] statIdx;
    private final int[] sketchIdx;
    private final int[] numeratorIdx;
    private final int[] denominatorIdx;
    private final int[] entityOffset;
    private final Aggregate[] scratch;
    private final double[] values;

    public FeatureComputer(FeatureSpec spec) {
        this.spec = spec;
        this.transforms = spec.transforms();
        this.layout = new StateLayout(spec);
        this.features = spec.features();
        int n = features.size();
        windowOf = new int[n];
        countIdx = new int[n];
        allIdx = new int[n];
        statIdx = new int[n];
        sketchIdx = new int[n];
        numeratorIdx = new int[n];
        denominatorIdx = new int[n];
        entityOffset = new int[n];
        values = new double[n];
        scratch = new Aggregate[layout.windows().size()];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new Aggregate(layout.windows().get(i));
        }
        for (int i = 0; i < n; i++) {
            FeatureDef f = features.get(i);
            if (f instanceof WindowFeature w) {
                int wi = spec.windows().indexOf(w.window());
                WindowLayout wl = layout.windows().get(wi);
                windowOf[i] = wi;
                countIdx[i] = wl.countIndex(w.filter());
                allIdx[i] = w.agg() == Aggregation.RATIO ? wl.countIndex(Optional.empty()) : -1;
                statIdx[i] =
                        w.field().isPresent() && w.agg().needsNumericField()
                                ? wl.statIndex(w.field().get(), w.filter())
                                : -1;
                sketchIdx[i] =
                        w.agg() == Aggregation.DISTINCT
                                ? wl.sketchIndex(w.field().get(), w.filter(), w.sketchBits())
                                : -1;
            } else if (f instanceof EntityFeature e && e.fn() != EntityFunction.TIME_SINCE_LAST) {
                entityOffset[i] = layout.entityOffset(e);
            } else if (f instanceof DerivedFeature d) {
                numeratorIdx[i] = spec.indexOf(d.numerator()).orElseThrow();
                denominatorIdx[i] = spec.indexOf(d.denominator()).orElseThrow();
            }
        }
    }

    public FeatureSpec spec() {
        return spec;
    }

    public StateLayout layout() {
        return layout;
    }

    /**
     * The vector for {@code event}: windows include the event and every earlier-processed event in
     * the tiles up to the event's own; entity features compare the event with the history before
     * it. {@code state} is updated in place.
     *
     * @param profile the entity's account row, or null when there is none
     */
    public float[] apply(byte[] state, Event event, Profile profile) {
        ByteBuffer b = ByteBuffer.wrap(state);
        long latest = StateLayout.latestEventTime(state);
        long t = event.eventTime();
        double[] values = this.values;
        for (int i = 0; i < features.size(); i++) {
            if (features.get(i) instanceof EntityFeature e) {
                double x = e.field().isPresent() ? e.field().get().number(event) : 0;
                values[i] = entity(b, e, entityOffset[i], latest, t, x, true);
            }
        }
        StateLayout.latestEventTime(b, latest == StateLayout.NO_TIME ? t : Math.max(latest, t));
        layout.addToWindows(b, event);
        Aggregate[] aggregates = aggregates(b, t);
        for (int i = 0; i < features.size(); i++) {
            FeatureDef f = features.get(i);
            if (f instanceof WindowFeature w) {
                values[i] = window(w, i, aggregates[windowOf[i]]);
            } else if (f instanceof EventFeature e) {
                values[i] = e.field().number(event);
            } else if (f instanceof ProfileFeature p) {
                values[i] = profile(p, profile, t, event, creditDigits(event));
            } else if (f instanceof MerchantFeature m) {
                values[i] = m.defaultValue(); // the merchant's own state fills it in, downstream
            } else if (f instanceof DerivedFeature d) {
                values[i] = derived(d, i, values);
            }
        }
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) transforms[i].apply(values[i]);
        }
        return out;
    }

    /**
     * The features that need no event, as of {@code asOfMs}: windows, time since the latest event,
     * the last value, and the profile's own fields, transformed as the spec declares. Used by the
     * read API.
     */
    public Map<String, Double> current(byte[] state, long asOfMs, Profile profile) {
        ByteBuffer b = ByteBuffer.wrap(state);
        long latest = StateLayout.latestEventTime(state);
        // Own buffers: the read API calls this from several threads.
        Aggregate[] aggregates = new Aggregate[scratch.length];
        for (int i = 0; i < aggregates.length; i++) {
            WindowLayout w = layout.windows().get(i);
            aggregates[i] = w.aggregate(b, w.window.tileOf(asOfMs), new Aggregate(w));
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < features.size(); i++) {
            FeatureDef f = features.get(i);
            Transform t = transforms[i];
            if (f instanceof WindowFeature w) {
                out.put(f.name(), t.apply(window(w, i, aggregates[windowOf[i]])));
            } else if (f instanceof EntityFeature e && e.fn() != EntityFunction.ZSCORE) {
                out.put(f.name(), t.apply(entity(b, e, entityOffset[i], latest, asOfMs, 0, false)));
            } else if (f instanceof ProfileFeature p
                    && (p.field() == ProfileField.ACCOUNT_AGE_DAYS
                            || p.field() == ProfileField.RISK_TIER)) {
                out.put(f.name(), t.apply(profile(p, profile, asOfMs, null, 0)));
            }
        }
        return out;
    }

    private Aggregate[] aggregates(ByteBuffer b, long t) {
        List<WindowLayout> windows = layout.windows();
        for (int i = 0; i < scratch.length; i++) {
            windows.get(i).aggregate(b, windows.get(i).window.tileOf(t), scratch[i]);
        }
        return scratch;
    }

    private double entity(
            ByteBuffer b, EntityFeature e, int at, long latest, long t, double x, boolean update) {
        boolean seen = latest != StateLayout.NO_TIME;
        switch (e.fn()) {
            case TIME_SINCE_LAST:
                return seen ? Math.max(0, t - latest) / 1000.0 : e.defaultValue();
            case LAST:
                {
                    double last = seen ? b.getFloat(at) : e.defaultValue();
                    if (update) {
                        b.putFloat(at, (float) x);
                    }
                    return last;
                }
            case ZSCORE:
                {
                    long n = b.getLong(at);
                    double mean = b.getDouble(at + 8);
                    double m2 = b.getDouble(at + 16);
                    double std = n >= 2 ? Math.sqrt(m2 / n) : 0;
                    double z = std > 0 ? (x - mean) / std : e.defaultValue();
                    if (update) {
                        // Welford's update: stable for long histories.
                        long n1 = n + 1;
                        double delta = x - mean;
                        double mean1 = mean + delta / n1;
                        b.putLong(at, n1);
                        b.putDouble(at + 8, mean1);
                        b.putDouble(at + 16, m2 + delta * (x - mean1));
                    }
                    return z;
                }
            default:
                throw new IllegalStateException(e.fn().name());
        }
    }

    private double window(WindowFeature w, int i, Aggregate a) {
        double n = a.counts[countIdx[i]];
        int s = statIdx[i];
        switch (w.agg()) {
            case COUNT:
                return n;
            case SUM:
                return a.sums[s];
            case MEAN:
                return n > 0 ? a.sums[s] / n : w.defaultValue();
            case MIN:
                return n > 0 ? a.mins[s] : w.defaultValue();
            case MAX:
                return n > 0 ? a.maxs[s] : w.defaultValue();
            case STDDEV:
                return n >= 2 ? Math.sqrt(Math.max(0, a.m2s[s]) / n) : w.defaultValue();
            case DISTINCT:
                return DistinctSketch.estimate(a.sketches[sketchIdx[i]], w.sketchBits());
            case RATIO:
                {
                    double all = a.counts[allIdx[i]];
                    return all > 0 ? n / all : w.defaultValue();
                }
            default:
                throw new IllegalStateException(w.agg().name());
        }
    }

    /**
     * The minor-unit digits the account's credit limit is read in: the payment's currency, or the
     * spec's base currency when amounts are converted to it.
     */
    private int creditDigits(Event event) {
        Money money = spec.money();
        return money.converts()
                ? TransactionValidator.currencyDigits(money.base())
                : event.currencyDigits();
    }

    private static double profile(
            ProfileFeature p, Profile profile, long t, Event event, int creditDigits) {
        if (profile == null) {
            return p.defaultValue();
        }
        switch (p.field()) {
            case ACCOUNT_AGE_DAYS:
                return Math.max(0, t - profile.createdAtMs()) / MS_PER_DAY;
            case CREDIT_LIMIT:
                return profile.creditLimitMinor() / Math.pow(10, creditDigits);
            case RISK_TIER:
                return profile.riskTier();
            case IS_FOREIGN:
                return event.country().equals(profile.homeCountry()) ? 0 : 1;
            default:
                throw new IllegalStateException(p.field().name());
        }
    }

    private double derived(DerivedFeature d, int i, double[] values) {
        double den = values[denominatorIdx[i]];
        if (den == 0 || !Double.isFinite(den)) {
            return d.defaultValue();
        }
        return values[numeratorIdx[i]] / den;
    }
}
