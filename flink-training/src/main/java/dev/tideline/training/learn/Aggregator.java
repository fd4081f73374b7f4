package dev.tideline.training.learn;

import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator (parallelism 1, keyed by model name): gathers the learners' updates into rounds
 * and averages each round's deltas, weighted by example count, into the next global version, which
 * it emits for {@code training.sync.v1}. A round closes when every learner has reported or when
 * {@code roundTimeout} has passed since its first update (stragglers join the next round). An
 * update based on a version more than {@code maxStaleness} behind the current one is discarded and
 * counted (its examples still count as trained), and the current version goes out again for the
 * learner that fell behind. Each version emitted says, per learner, how many of its updates this
 * run has taken (applied in a closed round or discarded), from which the learners count theirs in
 * flight. Every {@code releaseEveryRounds} rounds, or every {@code releaseEvery} when the version
 * moved, the current model goes to the {@link #RELEASES} side output for export and publication.
 *
 * <p>Its state is read and changed by every update, so it lives on the heap and is written to
 * operator state at each checkpoint (keyed state in RocksDB would serialise the global model and
 * both metric histograms twice per update). Its timers are processing-time callbacks, set again
 * after a restore.
 */
public final class Aggregator extends AbstractStreamOperator<GlobalState>
        implements OneInputStreamOperator<ModelUpdate, GlobalState> {

    private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

    public static final OutputTag<ReleaseCandidate> RELEASES = new OutputTag<>("releases") {};

    private final TrainingSettings settings;
    private transient ListState<AggregatorState> stored;
    private transient AggregatorState s;
    private transient Counter rounds;
    private transient Counter roundsTimedOut;
    private transient Counter discarded;
    private transient String lineage;

    /**
     * The version last sent again for a learner too far behind, in this run (-1: none). Not in
     * state: after a restore the learners may need the restored version again.
     */
    private transient long resentVersion = -1;

    /**
     * Per learner, the updates taken in this run (applied in a closed round or discarded), stamped
     * on each version emitted. Not in state: a restored run's learners count from zero too.
     */
    private transient long[] taken;

    /** Per learner, the updates in the open round (counted as taken when it closes). */
    private transient long[] inRound;

    public Aggregator(TrainingSettings settings) {
        if (settings.learners() > 64) {
            throw new IllegalArgumentException("at most 64 learners, not " + settings.learners());
        }
        this.settings = settings;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        stored =
                context.getOperatorStateStore()
                        .getListState(
                                new ListStateDescriptor<>("aggregator", AggregatorState.class));
        for (AggregatorState restored : stored.get()) {
            s = restored;
        }
        if (s == null) {
            s = new AggregatorState();
            var network = settings.initialNetwork();
            s.global = new GlobalState(0, network, new FeatureScaler(settings.width()), 0, 0);
            s.roundSum = new float[network.params.length];
            s.window = new ProgressiveMetrics();
            s.total = new ProgressiveMetrics();
            s.nextReleaseCheckMs = -1;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        var metrics = getMetricGroup().addGroup("tideline_aggregator");
        rounds = metrics.counter("rounds");
        roundsTimedOut = metrics.counter("rounds_timed_out");
        discarded = metrics.counter("updates_discarded");
        lineage = Lineage.of(getRuntimeContext());
        resentVersion = -1;
        taken = new long[settings.learners()];
        inRound = new long[settings.learners()];
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (s.roundOpenedMs >= 0) {
            at(s.roundOpenedMs + settings.roundTimeout().toMillis()); // a round open at the crash
        }
        // Every releaseEvery the aggregator releases the model if its version moved since.
        if (s.nextReleaseCheckMs < 0) {
            s.nextReleaseCheckMs = now + settings.releaseEvery().toMillis();
        }
        at(s.nextReleaseCheckMs);
    }

    @Override
    public void processElement(StreamRecord<ModelUpdate> element) {
        ModelUpdate u = element.getValue();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        s.examplesTrained += u.examples;
        u.metrics.addTo(s.window);
        u.metrics.addTo(s.total);
        s.global.scaler.merge(u.scaler);
        s.maxEventTimeMs = Math.max(s.maxEventTimeMs, u.maxEventTimeMs);
        // A base ahead of the aggregator is a version sent before a restore (the sync topic is
        // at-least-once): the learner's change is still fresh.
        long behind = s.global.version - u.baseVersion;
        if (behind > settings.maxStaleness()) {
            s.updatesDiscarded++;
            s.examplesDiscarded += u.examples;
            discarded.inc();
            count(taken, u.learner);
            resend(u);
        } else {
            if (s.roundOpenedMs < 0) {
                s.roundOpenedMs = now;
                at(now + settings.roundTimeout().toMillis());
            }
            for (int i = 0; i < u.delta.length; i++) {
                s.roundSum[i] += u.examples * u.delta[i];
            }
            s.roundWeight += u.examples;
            s.roundReporters |= 1L << u.learner;
            count(inRound, u.learner);
            if (Long.bitCount(s.roundReporters) >= settings.learners()) {
                closeRound(now);
            }
        }
        if (s.roundsSinceRelease >= settings.releaseEveryRounds()) {
            release(now);
        }
    }

    /**
     * Sends the current version again, once per version, when a learner's update was too stale to
     * use: the versions after the learner's may never reach it. After a restore, those the crashed
     * run sent past the checkpoint belong to another run, and the learners ignore them; the
     * restored aggregator's own version went out before the crash, so without this the learners
     * would hold their old version, every update they send would be discarded, and no round would
     * close again.
     */
    private void resend(ModelUpdate stale) {
        if (resentVersion != s.global.version) {
            log.info(
                    "Learner {} is on version {}, {} behind: sending version {} again",
                    stale.learner,
                    stale.baseVersion,
                    s.global.version - stale.baseVersion,
                    s.global.version);
            resentVersion = s.global.version;
            GlobalState again = s.global.copy();
            again.lineage = lineage;
            again.taken = taken.clone();
            output.collect(new StreamRecord<>(again));
        }
    }

    private static void count(long[] perLearner, int learner) {
        if (learner < perLearner.length) {
            perLearner[learner]++;
        }
    }

    private void at(long timestamp) {
        getProcessingTimeService().registerTimer(timestamp, this::onTimer);
    }

    private void onTimer(long timestamp) {
        if (s.roundOpenedMs >= 0
                && timestamp >= s.roundOpenedMs + settings.roundTimeout().toMillis()) {
            roundsTimedOut.inc();
            closeRound(timestamp);
        }
        if (timestamp >= s.nextReleaseCheckMs) {
            if (s.global.version > s.releasedVersion) {
                release(timestamp);
            }
            s.nextReleaseCheckMs = timestamp + settings.releaseEvery().toMillis();
            at(s.nextReleaseCheckMs);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stored.update(List.of(s));
    }

    /**
     * What a round's example-weighted mean delta is multiplied by: the server learning rate (1 by
     * default), or with 0 the number of learners that reported in the round (their deltas then add
     * up rather than average).
     */
    public static double serverRate(TrainingSettings settings, int reporters) {
        return settings.serverLearningRate() > 0 ? settings.serverLearningRate() : reporters;
    }

    private void closeRound(long now) {
        if (s.roundWeight > 0) {
            float[] p = s.global.network.params;
            float inv =
                    (float) (serverRate(settings, Long.bitCount(s.roundReporters)) / s.roundWeight);
            for (int i = 0; i < p.length; i++) {
                p[i] += s.roundSum[i] * inv;
                s.roundSum[i] = 0;
            }
            s.global.version++;
            s.global.examplesSeen = s.global.scaler.count;
            s.global.createdAtMs = now;
            s.roundsSinceRelease++;
            rounds.inc();
            for (int i = 0; i < taken.length; i++) {
                taken[i] += inRound[i];
                inRound[i] = 0;
            }
            GlobalState next = s.global.copy();
            next.lineage = lineage;
            next.taken = taken.clone();
            output.collect(new StreamRecord<>(next));
        }
        s.roundWeight = 0;
        s.roundReporters = 0;
        s.roundOpenedMs = -1;
    }

    /**
     * The network to release: with positives weighted {@code w} in training, its logits run about
     * {@code ln w} high (weighting a class is sampling it {@code w} times over), so the output
     * bias, the last parameter, gives that back and the scores are probabilities again. Ranking,
     * and so AUC and average precision, is unchanged.
     */
    static Network calibrated(Network network, float positiveWeight) {
        Network n = network.copy();
        if (positiveWeight != 1) {
            n.params[n.params.length - 1] -= (float) Math.log(positiveWeight);
        }
        return n;
    }

    private void release(long now) {
        ReleaseCandidate c = new ReleaseCandidate();
        c.globalVersion = s.global.version;
        c.network = calibrated(s.global.network, settings.positiveWeight());
        c.scaler = s.global.scaler.copy();
        c.window = s.window;
        c.total = s.total.copy();
        c.examplesTrained = s.examplesTrained;
        c.examplesDiscarded = s.examplesDiscarded;
        c.updatesDiscarded = s.updatesDiscarded;
        c.maxEventTimeMs = s.maxEventTimeMs;
        c.createdAtMs = now;
        output.collect(RELEASES, new StreamRecord<>(c));
        s.window = new ProgressiveMetrics();
        s.releasedVersion = s.global.version;
        s.roundsSinceRelease = 0;
    }
}
