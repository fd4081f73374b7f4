package dev.tideline.training.learn;

import dev.tideline.training.io.Example;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the P data-parallel learners. It holds a replica of the model in operator state and, for
 * each example, scores it first (progressive validation) and then trains on it with mini-batch SGD
 * or Adam. Every K examples, before adopting a new global model, and after a quiet spell, it sends
 * the aggregator its update: the parameter change since its last report, with the examples' count,
 * statistics and metrics. Global models arrive on the second input (broadcast from {@code
 * training.sync.v1}); versions it already holds, and globals of another run of the job (written
 * before a restore: see {@link Lineage}), are ignored.
 */
public final class Learner extends AbstractStreamOperator<ModelUpdate>
        implements TwoInputStreamOperator<Example, GlobalState, ModelUpdate> {

    private static final Logger log = LoggerFactory.getLogger(Learner.class);

    private final TrainingSettings settings;

    private transient ListState<LearnerState> stored;
    private transient LocalModel model;
    private transient List<LearnerState> inherited;
    private transient boolean copyValues;
    private transient long lastExampleMs;
    private transient long lastReportMs;

    /** Updates sent in this run, against which a global's count of those taken is read. */
    private transient long sentThisRun;

    private transient Counter trained;
    private transient Counter updatesSent;
    private transient Counter globalsAdopted;
    private transient Counter globalsOfAnotherRun;
    private transient String lineage;

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
            model = LocalModel.fresh(settings);
            inherited = List.of();
        } else {
            // After a rescale a learner may get several replicas: it continues the newest and
            // reports what the others had not, so no trained example goes uncounted.
            restored.sort((a, b) -> Long.compare(b.baseVersion, a.baseVersion));
            model = new LocalModel(settings, restored.get(0));
            inherited = restored.subList(1, restored.size());
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        copyValues = getExecutionConfig().isObjectReuseEnabled();
        var metrics = getMetricGroup().addGroup("tideline_learner");
        trained = metrics.counter("examples_trained");
        updatesSent = metrics.counter("updates_sent");
        globalsAdopted = metrics.counter("globals_adopted");
        globalsOfAnotherRun = metrics.counter("globals_of_another_run");
        lineage = Lineage.of(getRuntimeContext());
        for (LearnerState other : inherited) {
            emit(new LocalModel(settings, other).takeUpdate(subtask()));
        }
        inherited = List.of();
        lastExampleMs = getProcessingTimeService().getCurrentProcessingTime();
        lastReportMs = lastExampleMs;
        scheduleFlush();
        if (subtask() == 0) {
            log.info("Logistic regression's learner kernel: {}", MiniBatch.kernel());
        }
    }

    @Override
    public void processElement1(StreamRecord<Example> element) {
        Example e = element.getValue();
        lastExampleMs = getProcessingTimeService().getCurrentProcessingTime();
        try {
            // The model keeps an example's values until its mini-batch is trained: with object
            // reuse on, the record's array may be handed out again before then.
            model.train(copyValues ? e.values.clone() : e.values, e.fraud, e.eventTimeMs);
        } catch (IllegalArgumentException wrongWidth) {
            throw new IllegalStateException("example " + e.txnId + ": " + wrongWidth.getMessage());
        }
        trained.inc();
        if (model.updateDue()) {
            emit(model.takeUpdate(subtask()));
        }
    }

    @Override
    public void processElement2(StreamRecord<GlobalState> element) {
        GlobalState g = element.getValue();
        if (!lineage.equals(g.lineage)) {
            // Written by an earlier run (before a restore): its versions are not this run's.
            globalsOfAnotherRun.inc();
            return;
        }
        if (model.adopt(g)) {
            globalsAdopted.inc();
            if (subtask() < g.taken.length) {
                // Exact where the aggregator counts: several of this learner's updates may have
                // gone into one round, or none into a round that timed out without it.
                model.inFlight(Math.max(0, sentThisRun - g.taken[subtask()]));
                if (model.updateDue()) {
                    emit(model.takeUpdate(subtask())); // the update held for a newer version
                }
            }
        }
    }

    private void emit(ModelUpdate update) {
        if (update != null) {
            output.collect(new StreamRecord<>(update));
            sentThisRun++;
            updatesSent.inc();
            lastReportMs = getProcessingTimeService().getCurrentProcessingTime();
        }
    }

    private int subtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    private void scheduleFlush() {
        long every = settings.flushAfter().toMillis();
        long holdLimit = 2 * settings.roundTimeout().toMillis();
        getProcessingTimeService()
                .registerTimer(
                        getProcessingTimeService().getCurrentProcessingTime() + every,
                        now -> {
                            // Quiet: no example for a while. Or held too long: a learner waits
                            // for a newer global version at most two round timeouts, so that it
                            // cannot wait forever (after a restore it may hold a version sent
                            // before the crash, which the restored aggregator has yet to pass).
                            boolean quiet = now - lastExampleMs >= every;
                            boolean heldTooLong = now - lastReportMs >= holdLimit;
                            if (quiet || heldTooLong) {
                                emit(model.takeUpdate(subtask()));
                            }
                            scheduleFlush();
                        });
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        stored.update(List.of(model.state()));
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
