package dev.tideline.features;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * A linear-counting bitmap: each value sets one of {@code bits} bits chosen by its hash; the number
 * of distinct values is estimated from the share of bits still clear. Two sketches merge by OR, so
 * tiles merge into a window exactly.
 *
 * <p>Accurate to a few percent while the distinct count is well under the number of bits; the
 * estimate saturates near {@code bits * ln(bits)} (266 for 64 bits).
 */
final class DistinctSketch {

    private DistinctSketch() {}

    /** The bit a value sets; stable across JVMs and versions (Kafka's murmur2 and a 32-bit mix). */
    static int bitOf(String value, int bits) {
        int h = Utils.murmur2(value.getBytes(StandardCharsets.UTF_8));
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Integer.remainderUnsigned(h, bits);
    }

    /** Estimates the distinct count from the merged words of a sketch. */
    static double estimate(long[] words, int bits) {
        int set = 0;
        for (long w : words) {
            set += Long.bitCount(w);
        }
        int zeros = bits - set;
        if (zeros == 0) {
            return bits * Math.log(bits);
        }
        return bits * Math.log((double) bits / zeros);
    }
}
