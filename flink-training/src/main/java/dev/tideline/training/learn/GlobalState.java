package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;

/**
 * One global model version, as the aggregator produces it and the learners adopt it: the network,
 * the merged feature statistics, and how many examples it has seen. A Flink POJO; on the wire it is
 * a {@code GlobalModel} on {@code training.sync.v1}.
 */
public final class GlobalState {

    public long version;
    public Network network;
    public FeatureScaler scaler;
    public long examplesSeen;
    public long createdAtMs;

    /**
     * The run that produced it ({@link Lineage}); learners adopt only their own run's globals. The
     * aggregator stamps the copies it emits, never its own state, so a restored aggregator stamps
     * its new run's.
     */
    public String lineage = "";

    /**
     * Per learner (by subtask index), how many of its updates this run's aggregator had taken,
     * applied in a closed round or discarded, when it produced this version: the learner's updates
     * in flight are the ones it sent beyond that. Stamped, like the lineage, on the copies the
     * aggregator emits; empty when not counted.
     */
    public long[] taken = new long[0];

    public GlobalState() {}

    public GlobalState(
            long version,
            Network network,
            FeatureScaler scaler,
            long examplesSeen,
            long createdAtMs) {
        this.version = version;
        this.network = network;
        this.scaler = scaler;
        this.examplesSeen = examplesSeen;
        this.createdAtMs = createdAtMs;
    }

    public GlobalState copy() {
        GlobalState g =
                new GlobalState(version, network.copy(), scaler.copy(), examplesSeen, createdAtMs);
        g.lineage = lineage;
        g.taken = taken == null ? new long[0] : taken.clone();
        return g;
    }
}
