package dev.tideline.features;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Which keys of a state store may have expired, found without reading the store: one index entry
 * per key, {@code (bucket of its latest event time, key)}, in a store of its own that commits with
 * the state it indexes. A key's entry moves only when its latest event enters a new bucket, so a
 * busy key costs one index write per bucket, not per event; eviction range-scans the buckets that
 * lie wholly before the horizon, so its cost follows the keys it finds there, not the store's size.
 *
 * <pre>
 * entry: bucket (8 bytes, big-endian, sign bit flipped so that byte order is time order) · key (UTF-8)
 * </pre>
 */
final class ExpiryIndex {

    private static final byte[] EMPTY = new byte[0];

    /**
     * Present once every key of the indexed store has an entry. Sorts after every entry: an entry's
     * first byte is 0xFF only for buckets past 2^62, millions of years after 1970 whatever the
     * width.
     */
    private static final Bytes COMPLETE = Bytes.wrap(new byte[] {(byte) 0xFF});

    private final KeyValueStore<Bytes, byte[]> index;
    private final long bucketMs;

    /**
     * @param bucketMs the width of a bucket: eviction finds a key at most this long after its
     *     horizon
     */
    ExpiryIndex(KeyValueStore<Bytes, byte[]> index, long bucketMs) {
        if (bucketMs <= 0) {
            throw new IllegalArgumentException("bucket width must be positive: " + bucketMs);
        }
        this.index = index;
        this.bucketMs = bucketMs;
    }

    /** A bucket width for a horizon: about a ninetieth of it (a day for 90 days), at least 1 s. */
    static long bucketFor(long horizonMs) {
        return Math.max(1_000, horizonMs / 90);
    }

    long bucket(long t) {
        return Math.floorDiv(t, bucketMs);
    }

    /**
     * Records that {@code key}'s latest event time moved from {@code before} ({@link
     * StateLayout#NO_TIME} for a key the index does not hold) to {@code after}.
     */
    void moved(String key, long before, long after) {
        long to = bucket(after);
        if (before != StateLayout.NO_TIME) {
            long from = bucket(before);
            if (from == to) {
                return;
            }
            index.delete(entry(from, key));
        }
        index.put(entry(to, key), EMPTY);
    }

    /** Whether every key of the indexed store has an entry (false for a store written before). */
    boolean complete() {
        return index.get(COMPLETE) != null;
    }

    void markComplete() {
        index.put(COMPLETE, EMPTY);
    }

    /** A key with its entry's bucket. */
    record Candidate(String key, long bucket) {}

    /**
     * The keys whose latest event time, as the index holds it, is before {@code horizon}: every
     * entry in a bucket that ends at or before it. Their entries stay until {@link #remove}.
     */
    List<Candidate> before(long horizon) {
        List<Candidate> out = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it =
                index.range(entry(Long.MIN_VALUE, ""), entry(bucket(horizon), ""))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] k = kv.key.get();
                if (k.length < 8) {
                    continue;
                }
                long bucket = ByteBuffer.wrap(k).getLong() ^ Long.MIN_VALUE;
                if (bucket >= bucket(horizon)) {
                    continue; // the bound itself, were a key empty
                }
                out.add(
                        new Candidate(
                                new String(
                                        Arrays.copyOfRange(k, 8, k.length), StandardCharsets.UTF_8),
                                bucket));
            }
        }
        return out;
    }

    void remove(Candidate c) {
        index.delete(entry(c.bucket(), c.key()));
    }

    private static Bytes entry(long bucket, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + k.length);
        b.putLong(bucket ^ Long.MIN_VALUE);
        b.put(k);
        return Bytes.wrap(b.array());
    }
}
