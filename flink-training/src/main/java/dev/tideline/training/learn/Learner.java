package dev.tideline.training.learn;

import dev.tideline.training.io.Example;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.model.ProgressiveMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * One of the P data-parallel learners. It holds a replica of the model in operator state and, for
 * each example, scores it first (progressive validation) and then trains on it with mini-batch SGD
 * or Adam. Every K examples, before adopting a new global model, and after a quiet spell, it sends
 * the aggregator its update: the parameter change since its last report, with the examples' count,
 * statistics and metrics. Global models arrive on the second input (broadcast from {@code
 * training.sync.v1}); versions it already holds are ignored.
 */
public final class Learner extends AbstractStreamOperator<ModelUpdate>
        implements TwoInputStreamOperator<Example, GlobalState, ModelUpdate> {

    private static final int REFRESH = 64;

    private final TrainingSettings settings;

    private transient ListState<LearnerState> stored;
    private transient LearnerState state;
    private transient List<LearnerState> inherited;
    private transient float[] z;
    private transient float[] hidden;
    private transient float[] mean;
    private transient float[] inverseStd;
    private transient long scaledAt;
    private transient long lastExampleMs;
    private transient Counter trained;
    private transient Counter updatesSent;
    private transient Counter globalsAdopted;

    public Learner(TrainingSettings settings) {
        this.settings = settings;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        stored =
                context.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("learner", LearnerState.class));
        List<LearnerState> restored = new ArrayList<>();
        for (LearnerState s : stored.get()) {
            restored.add(s);
        }
        if (restored.isEmpty()) {
            state = LearnerState.fresh(settings);
            inherited = List.of();
        } else {
            // After a rescale a learner may get several replicas: it continues the newest and
            // reports what the others had not, so no trained example goes uncounted.
            restored.sort((a, b) -> Long.compare(b.baseVersion, a.baseVersion));
            state = restored.get(0);
            inherited = restored.subList(1, restored.size());
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        z = new float[settings.width()];
        hidden = new float[Math.max(1, settings.hidden())];
        var metrics = getMetricGroup().addGroup("tideline_learner");
        trained = metrics.counter("examples_trained");
        updatesSent = metrics.counter("updates_sent");
        globalsAdopted = metrics.counter("globals_adopted");
        for (LearnerState other : inherited) {
            LearnerState mine = state;
            state = other;
            report();
            state = mine;
        }
        inherited = List.of();
        scheduleFlush();
    }

    @Override
    public void processElement1(StreamRecord<Example> element) {
        Example e = element.getValue();
        lastExampleMs = getProcessingTimeService().getCurrentProcessingTime();
        if (e.values.length != settings.width()) {
            throw new IllegalStateException(
                    "example "
                            + e.txnId
                            + " has "
                            + e.values.length
                            + " values, the model "
                            + settings.width());
        }
        LearnerState s = state;
        if (mean == null || s.scaler.count < REFRESH || s.scaler.count - scaledAt >= REFRESH) {
            // The standardisation follows the statistics, refreshed every REFRESH examples.
            mean = s.scaler.meanAsFloats();
            inverseStd = s.scaler.inverseStd();
            scaledAt = s.scaler.count;
        }
        Network.standardise(e.values, mean, inverseStd, z);
        // Test, then train: the score comes from the model before this example.
        float p = s.network.accumulateGradient(z, e.fraud ? 1 : 0, s.gradient, hidden);
        s.metrics.add(p, e.fraud);
        s.scaler.add(e.values);
        s.scalerDelta.add(e.values);
        s.maxEventTimeMs = Math.max(s.maxEventTimeMs, e.eventTimeMs);
        s.pendingExamples++;
        trained.inc();
        if (++s.inBatch == settings.batchSize()) {
            s.optimizer.step(s.network.params, s.gradient, s.inBatch);
            s.inBatch = 0;
        }
        // Bounded staleness from the learner's side too: once it has sent maxStaleness + 1
        // updates on one global version it keeps training and holds the next update (which
        // grows) until a newer version arrives, rather than send one the aggregator would discard.
        if (s.pendingExamples >= settings.updateEvery()
                && s.sentOnBase <= settings.maxStaleness()) {
            report();
        }
    }

    @Override
    public void processElement2(StreamRecord<GlobalState> element) {
        GlobalState g = element.getValue();
        if (g.version <= state.baseVersion) {
            return; // already held: versions are idempotent
        }
        // Rebase: what was trained since the last report is carried onto the new version and
        // reported with it later, so nothing trained is dropped or sent stale.
        LearnerState s = state;
        float[] params = g.network.params.clone();
        for (int i = 0; i < params.length; i++) {
            params[i] += s.network.params[i] - s.reported[i];
        }
        // Each version since the old base reflects about one of this learner's updates (one per
        // round): those still outstanding count against the staleness bound.
        s.sentOnBase = (int) Math.max(0, s.sentOnBase - (g.version - s.baseVersion));
        s.baseVersion = g.version;
        s.reported = g.network.params.clone();
        s.network = g.network.copy();
        s.network.params = params;
        s.scaler = g.scaler.copy();
        s.scaler.merge(s.scalerDelta);
        mean = null;
        globalsAdopted.inc();
    }

    /** Sends the update since the last one, if there is anything to send. */
    private void report() {
        LearnerState s = state;
        if (s.pendingExamples == 0) {
            return;
        }
        if (s.inBatch > 0) {
            s.optimizer.step(s.network.params, s.gradient, s.inBatch);
            s.inBatch = 0;
        }
        float[] delta = new float[s.network.params.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = s.network.params[i] - s.reported[i];
        }
        output.collect(
                new StreamRecord<>(
                        new ModelUpdate(
                                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                                s.baseVersion,
                                s.pendingExamples,
                                delta,
                                s.scalerDelta,
                                s.metrics,
                                s.maxEventTimeMs)));
        updatesSent.inc();
        s.sentOnBase++;
        s.reported = s.network.params.clone();
        s.scalerDelta = new FeatureScaler(settings.width());
        s.metrics = new ProgressiveMetrics();
        s.pendingExamples = 0;
    }

    private void scheduleFlush() {
        long every = settings.flushAfter().toMillis();
        getProcessingTimeService()
                .registerTimer(
                        getProcessingTimeService().getCurrentProcessingTime() + every,
                        now -> {
                            // Quiet: no example for a while. A learner holding its update for a
                            // newer global model while examples flow keeps holding it.
                            if (now - lastExampleMs >= every) {
                                report();
                            }
                            scheduleFlush();
                        });
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stored.update(List.of(state));
    }

    @Override
    public void processWatermark1(Watermark mark) {
        output.emitWatermark(mark); // event time comes from the examples
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // The sync topic carries no event time; it must not hold the examples' watermark back.
    }
}
