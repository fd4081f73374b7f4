package dev.tideline.features;

import dev.tideline.features.FeatureDef.MerchantFeature;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of one merchant's state: the time of its latest payment, then per window its merchant
 * features use a ring of time tiles, each holding the payments in it, their amount and the frauds
 * reported in it. Its size is a constant of the spec, whatever the merchant's volume; the rings
 * hold enough tiles beyond the window for the spec's grace, as the entities' do.
 */
final class MerchantState {

    /** Per tile: its number (a long), payments (int), amount (double), frauds (int). */
    static final int TILE_BYTES = 8 + 4 + 8 + 4;

    private static final int LATEST = 0;
    private static final int HEADER = 8;

    private final List<Window> windows = new ArrayList<>();
    private final int[] ring;
    private final int[] offset;
    private final int size;

    MerchantState(FeatureSpec spec) {
        for (FeatureDef f : spec.features()) {
            if (f instanceof MerchantFeature m && !windows.contains(m.window())) {
                windows.add(m.window());
            }
        }
        ring = new int[windows.size()];
        offset = new int[windows.size()];
        int at = HEADER;
        for (int i = 0; i < windows.size(); i++) {
            Window w = windows.get(i);
            long extra = (spec.grace().toMillis() + w.widthMs() - 1) / w.widthMs();
            ring[i] = w.tiles() + (int) extra + 1;
            offset[i] = at;
            at += ring[i] * TILE_BYTES;
        }
        size = at;
    }

    List<Window> windows() {
        return windows;
    }

    /** Bytes per merchant. */
    int bytesPerMerchant() {
        return size;
    }

    byte[] newState() {
        byte[] s = new byte[size];
        ByteBuffer b = ByteBuffer.wrap(s);
        b.putLong(LATEST, Long.MIN_VALUE);
        for (int i = 0; i < windows.size(); i++) {
            for (int t = 0; t < ring[i]; t++) {
                b.putLong(offset[i] + t * TILE_BYTES, Long.MIN_VALUE);
            }
        }
        return s;
    }

    boolean compatible(byte[] state) {
        return state.length == size;
    }

    static long latestPayment(byte[] state) {
        return ByteBuffer.wrap(state).getLong(LATEST);
    }

    /** Adds a payment at {@code time}. */
    void addPayment(byte[] state, long time, double amount) {
        ByteBuffer b = ByteBuffer.wrap(state);
        b.putLong(LATEST, Math.max(b.getLong(LATEST), time));
        for (int i = 0; i < windows.size(); i++) {
            int at = tile(b, i, windows.get(i).tileOf(time));
            if (at >= 0) {
                b.putInt(at + 8, b.getInt(at + 8) + 1);
                b.putDouble(at + 12, b.getDouble(at + 12) + amount);
            }
        }
    }

    /** Adds a fraud reported at {@code time}. */
    void addFraud(byte[] state, long time) {
        ByteBuffer b = ByteBuffer.wrap(state);
        for (int i = 0; i < windows.size(); i++) {
            int at = tile(b, i, windows.get(i).tileOf(time));
            if (at >= 0) {
                b.putInt(at + 20, b.getInt(at + 20) + 1);
            }
        }
    }

    /**
     * The window's payments, amount and frauds as of {@code time}: the tiles {@code k - tiles + 1
     * .. k} of the time's tile {@code k}.
     */
    double[] totals(byte[] state, int window, long time) {
        ByteBuffer b = ByteBuffer.wrap(state);
        Window w = windows.get(window);
        long k = w.tileOf(time);
        double payments = 0;
        double amount = 0;
        double frauds = 0;
        for (int t = 0; t < ring[window]; t++) {
            int at = offset[window] + t * TILE_BYTES;
            long n = b.getLong(at);
            if (n != Long.MIN_VALUE && n <= k && n > k - w.tiles()) {
                payments += b.getInt(at + 8);
                amount += b.getDouble(at + 12);
                frauds += b.getInt(at + 20);
            }
        }
        return new double[] {payments, amount, frauds};
    }

    /**
     * The offset of tile {@code n} of window {@code i}, claiming its slot in the ring when it holds
     * an older tile; -1 when the slot holds a newer one (a report far behind the merchant's
     * payments, beyond the grace: it cannot count in any window still evaluated).
     */
    private int tile(ByteBuffer b, int i, long n) {
        int at = offset[i] + (int) Math.floorMod(n, (long) ring[i]) * TILE_BYTES;
        long held = b.getLong(at);
        if (held == n) {
            return at;
        }
        if (held != Long.MIN_VALUE && held > n) {
            return -1;
        }
        b.putLong(at, n);
        b.putInt(at + 8, 0);
        b.putDouble(at + 12, 0);
        b.putInt(at + 20, 0);
        return at;
    }
}
