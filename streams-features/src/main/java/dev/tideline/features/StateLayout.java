package dev.tideline.features;

import dev.tideline.features.FeatureDef.Aggregation;
import dev.tideline.features.FeatureDef.EntityFeature;
import dev.tideline.features.FeatureDef.EntityFunction;
import dev.tideline.features.FeatureDef.WindowFeature;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The byte layout of one entity's feature state for a spec, and the tile arithmetic on it.
 *
 * <p>An entity's state is one fixed-size byte array, whatever its event count: a header, the
 * running statistics of its entity features, then per window a ring of tiles holding partial
 * aggregates. A ring holds the window's tiles plus enough extra tiles to place an event that is up
 * to the spec's grace late exactly, so late events never lose the oldest tiles of their window.
 *
 * <pre>
 * header:  format (1 byte) · layout id (int) · latest event time (long)
 * entity:  per zscore (n long, mean double, M2 double) · per last (value float)
 * window:  newest tile number (long) · ring × tile
 * tile:    counts (int per filter) · stats (float per sum, M2, min, max) · sketches (long words)
 * </pre>
 *
 * Working on the array in place means no objects per event and the stored size is the exact memory
 * cost per entity.
 */
public final class StateLayout {

    static final byte FORMAT = 1;
    static final long NO_TIME = Long.MIN_VALUE;
    private static final int HEADER = 1 + 4 + 8;
    private static final int LATEST_TIME = 5;

    private final FeatureSpec spec;
    private final int layoutId;
    private final List<WindowLayout> windows = new ArrayList<>();
    private final Map<EntityFeature, Integer> entityOffsets = new LinkedHashMap<>();
    private final int size;

    public StateLayout(FeatureSpec spec) {
        this.spec = spec;
        this.layoutId = spec.fingerprint().substring(0, 8).hashCode();
        int offset = HEADER;
        for (FeatureDef f : spec.features()) {
            if (f instanceof EntityFeature e && e.fn() != EntityFunction.TIME_SINCE_LAST) {
                entityOffsets.put(e, offset);
                offset += e.fn() == EntityFunction.ZSCORE ? 24 : 4;
            }
        }
        for (Window w : spec.windows()) {
            WindowLayout layout = new WindowLayout(w, spec, offset);
            windows.add(layout);
            offset += layout.bytes();
        }
        this.size = offset;
    }

    public FeatureSpec spec() {
        return spec;
    }

    /** Bytes of state per entity: a constant of the spec. */
    public int bytesPerEntity() {
        return size;
    }

    List<WindowLayout> windows() {
        return windows;
    }

    /** A fresh state for an entity with no history. */
    public byte[] newState() {
        byte[] state = new byte[size];
        ByteBuffer b = ByteBuffer.wrap(state);
        b.put(0, FORMAT);
        b.putInt(1, layoutId);
        b.putLong(LATEST_TIME, NO_TIME);
        for (WindowLayout w : windows) {
            b.putLong(w.offset, Long.MIN_VALUE);
        }
        return state;
    }

    /** Whether a stored state was written with this layout; other states are reset, not read. */
    public boolean compatible(byte[] state) {
        return state.length == size
                && state[0] == FORMAT
                && ByteBuffer.wrap(state).getInt(1) == layoutId;
    }

    /** The latest event time the state has seen, or {@link #NO_TIME}. */
    public static long latestEventTime(byte[] state) {
        return ByteBuffer.wrap(state).getLong(LATEST_TIME);
    }

    static void latestEventTime(ByteBuffer b, long t) {
        b.putLong(LATEST_TIME, t);
    }

    int entityOffset(EntityFeature f) {
        return entityOffsets.get(f);
    }

    /** Adds an event to every window's tile for its event time, rolling rings forward. */
    void addToWindows(ByteBuffer state, Event event) {
        for (WindowLayout w : windows) {
            w.add(state, event);
        }
    }

    /** The partial aggregates of one window as of a tile, merged in double precision. */
    static final class Aggregate {
        final double[] counts;
        final double[] sums;
        final double[] m2s;
        final double[] mins;
        final double[] maxs;
        final long[][] sketches;

        Aggregate(WindowLayout w) {
            counts = new double[w.countFilters.size()];
            sums = new double[w.stats.size()];
            m2s = new double[w.stats.size()];
            mins = new double[w.stats.size()];
            maxs = new double[w.stats.size()];
            sketches = new long[w.sketches.size()][];
            for (int i = 0; i < sketches.length; i++) {
                sketches[i] = new long[w.sketches.get(i).bits / 64];
            }
            reset();
        }

        void reset() {
            Arrays.fill(counts, 0);
            Arrays.fill(sums, 0);
            Arrays.fill(m2s, 0);
            Arrays.fill(mins, Double.POSITIVE_INFINITY);
            Arrays.fill(maxs, Double.NEGATIVE_INFINITY);
            for (long[] words : sketches) {
                Arrays.fill(words, 0);
            }
        }
    }

    /** What one window of the state records, and where in the array. */
    static final class WindowLayout {
        final Window window;
        final int ring;
        final int offset;
        final List<Optional<Filter>> countFilters = new ArrayList<>();
        final List<Stat> stats = new ArrayList<>();
        final List<Sketch> sketches = new ArrayList<>();
        final int tileBytes;

        WindowLayout(Window window, FeatureSpec spec, int offset) {
            this.window = window;
            this.offset = offset;
            long width = window.widthMs();
            this.ring = window.tiles() + (int) ((spec.grace().toMillis() + width - 1) / width);
            for (FeatureDef f : spec.features()) {
                if (f instanceof WindowFeature wf && wf.window().equals(window)) {
                    register(wf);
                }
            }
            int tileOffset = 4 * countFilters.size();
            for (Stat s : stats) {
                tileOffset = s.assign(tileOffset);
            }
            for (Sketch s : sketches) {
                s.offset = tileOffset;
                tileOffset += s.bits / 8;
            }
            this.tileBytes = tileOffset;
        }

        private void register(WindowFeature f) {
            countIndex(f.filter());
            if (f.agg() == Aggregation.RATIO) {
                countIndex(Optional.empty());
            } else if (f.agg() == Aggregation.DISTINCT) {
                sketchIndex(f.field().orElseThrow(), f.filter(), f.sketchBits());
            } else if (f.agg() != Aggregation.COUNT) {
                Stat s = stats.get(statIndex(f.field().orElseThrow(), f.filter()));
                switch (f.agg()) {
                    case SUM, MEAN -> s.sum = true;
                    case STDDEV -> {
                        s.sum = true;
                        s.m2 = true;
                    }
                    case MIN -> s.min = true;
                    case MAX -> s.max = true;
                    default -> throw new IllegalStateException(f.agg().name());
                }
            }
        }

        int countIndex(Optional<Filter> filter) {
            int i = countFilters.indexOf(filter);
            if (i < 0) {
                countFilters.add(filter);
                i = countFilters.size() - 1;
            }
            return i;
        }

        int statIndex(Field field, Optional<Filter> filter) {
            for (int i = 0; i < stats.size(); i++) {
                if (stats.get(i).field == field && stats.get(i).filter.equals(filter)) {
                    return i;
                }
            }
            stats.add(new Stat(field, filter, countIndex(filter)));
            return stats.size() - 1;
        }

        int sketchIndex(Field field, Optional<Filter> filter, int bits) {
            for (int i = 0; i < sketches.size(); i++) {
                Sketch s = sketches.get(i);
                if (s.field == field && s.filter.equals(filter) && s.bits == bits) {
                    return i;
                }
            }
            sketches.add(new Sketch(field, filter, bits));
            return sketches.size() - 1;
        }

        int bytes() {
            return 8 + ring * tileBytes;
        }

        private int tileStart(long tile) {
            return offset + 8 + (int) Math.floorMod(tile, (long) ring) * tileBytes;
        }

        void add(ByteBuffer b, Event e) {
            long tile = window.tileOf(e.eventTime());
            long newest = b.getLong(offset);
            if (newest == Long.MIN_VALUE || tile > newest) {
                long from =
                        newest == Long.MIN_VALUE
                                ? tile - ring + 1
                                : Math.max(newest + 1, tile - ring + 1);
                for (long t = from; t <= tile; t++) {
                    int start = tileStart(t);
                    for (int i = 0; i < tileBytes; i++) {
                        b.put(start + i, (byte) 0);
                    }
                }
                b.putLong(offset, tile);
                newest = tile;
            } else if (tile <= newest - ring) {
                // Older than the ring: only possible for an event later than the grace, which the
                // processor dead-letters before it gets here.
                return;
            }
            int start = tileStart(tile);
            for (Stat s : stats) {
                if (s.filter.isEmpty() || s.filter.get().test(e)) {
                    s.add(b, start, b.getInt(start + 4 * s.countIndex), s.field.number(e));
                }
            }
            for (Sketch s : sketches) {
                if (s.filter.isEmpty() || s.filter.get().test(e)) {
                    int bit = DistinctSketch.bitOf(s.field.text(e), s.bits);
                    int at = start + s.offset + 8 * (bit / 64);
                    b.putLong(at, b.getLong(at) | (1L << (bit % 64)));
                }
            }
            // Counts last: the stats above read each tile's count from before this event.
            for (int i = 0; i < countFilters.size(); i++) {
                Optional<Filter> filter = countFilters.get(i);
                if (filter.isEmpty() || filter.get().test(e)) {
                    b.putInt(start + 4 * i, b.getInt(start + 4 * i) + 1);
                }
            }
        }

        /**
         * Merges the tiles {@code asOf - tiles + 1 .. asOf} that the ring still holds into {@code
         * a}, which is reset first.
         */
        Aggregate aggregate(ByteBuffer b, long asOf, Aggregate a) {
            a.reset();
            long newest = b.getLong(offset);
            if (newest == Long.MIN_VALUE) {
                return a;
            }
            long from = Math.max(asOf - window.tiles() + 1, newest - ring + 1);
            long to = Math.min(asOf, newest);
            for (long t = from; t <= to; t++) {
                int start = tileStart(t);
                for (int i = 0; i < countFilters.size(); i++) {
                    a.counts[i] += b.getInt(start + 4 * i);
                }
                for (int i = 0; i < stats.size(); i++) {
                    stats.get(i).merge(b, start, a, i);
                }
                for (int i = 0; i < sketches.size(); i++) {
                    Sketch s = sketches.get(i);
                    for (int w = 0; w < s.bits / 64; w++) {
                        a.sketches[i][w] |= b.getLong(start + s.offset + 8 * w);
                    }
                }
            }
            return a;
        }
    }

    /**
     * Sum, M2, min and max of one numeric field over the events one filter keeps. M2 (the sum of
     * squared deviations) is kept per tile and tiles are merged with Chan's formula, which stays
     * accurate where {@code sum(x^2) - n * mean^2} would cancel.
     */
    static final class Stat {
        final Field field;
        final Optional<Filter> filter;
        final int countIndex;
        boolean sum;
        boolean m2;
        boolean min;
        boolean max;
        int sumOff = -1;
        int m2Off = -1;
        int minOff = -1;
        int maxOff = -1;

        Stat(Field field, Optional<Filter> filter, int countIndex) {
            this.field = field;
            this.filter = filter;
            this.countIndex = countIndex;
        }

        int assign(int at) {
            if (sum) {
                sumOff = at;
                at += 4;
            }
            if (m2) {
                m2Off = at;
                at += 4;
            }
            if (min) {
                minOff = at;
                at += 4;
            }
            if (max) {
                maxOff = at;
                at += 4;
            }
            return at;
        }

        /** Adds x to a tile whose count for this filter is already {@code n} (before x). */
        void add(ByteBuffer b, int tile, int n, double x) {
            double oldSum = sumOff >= 0 ? b.getFloat(tile + sumOff) : 0;
            if (m2Off >= 0) {
                double m2 = b.getFloat(tile + m2Off);
                double meanBefore = n == 0 ? 0 : oldSum / n;
                double meanAfter = (oldSum + x) / (n + 1);
                b.putFloat(tile + m2Off, (float) (m2 + (x - meanBefore) * (x - meanAfter)));
            }
            if (sumOff >= 0) {
                b.putFloat(tile + sumOff, (float) (oldSum + x));
            }
            if (minOff >= 0) {
                b.putFloat(
                        tile + minOff,
                        n == 0 ? (float) x : Math.min(b.getFloat(tile + minOff), (float) x));
            }
            if (maxOff >= 0) {
                b.putFloat(
                        tile + maxOff,
                        n == 0 ? (float) x : Math.max(b.getFloat(tile + maxOff), (float) x));
            }
        }

        void merge(ByteBuffer b, int tile, Aggregate a, int i) {
            int nb = b.getInt(tile + 4 * countIndex);
            if (nb == 0) {
                return;
            }
            double sb = sumOff >= 0 ? b.getFloat(tile + sumOff) : 0;
            if (m2Off >= 0) {
                // Chan et al.: M2 = M2a + M2b + delta^2 * na * nb / (na + nb). The running count
                // na is the count merged so far, which the caller accumulates before stats.
                double n = a.counts[countIndex];
                double na = n - nb;
                double m2b = b.getFloat(tile + m2Off);
                if (na == 0) {
                    a.m2s[i] = m2b;
                } else {
                    double delta = sb / nb - a.sums[i] / na;
                    a.m2s[i] += m2b + delta * delta * na * nb / n;
                }
            }
            a.sums[i] += sb;
            if (minOff >= 0) {
                a.mins[i] = Math.min(a.mins[i], b.getFloat(tile + minOff));
            }
            if (maxOff >= 0) {
                a.maxs[i] = Math.max(a.maxs[i], b.getFloat(tile + maxOff));
            }
        }
    }

    /** A distinct-count sketch of one field over the events one filter keeps. */
    static final class Sketch {
        final Field field;
        final Optional<Filter> filter;
        final int bits;
        int offset;

        Sketch(Field field, Optional<Filter> filter, int bits) {
            this.field = Objects.requireNonNull(field);
            this.filter = filter;
            this.bits = bits;
        }
    }
}
