package dev.tideline.training.join;

import dev.tideline.training.io.Example;
import dev.tideline.training.io.LabelEvent;
import dev.tideline.training.io.Rejected;
import dev.tideline.training.io.ServedVector;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Joins each served vector with its transaction's label at maturity, by event time and keyed by
 * transaction id. A fraud label reported within the maturity period makes a positive example; a
 * clean label makes a negative one at once; no label by the end of the period makes a negative one
 * when the watermark passes it. The features are the ones served: nothing is recomputed.
 *
 * <p>Labels that cannot be used go to the {@link #REJECTED} side output with a reason: {@code
 * after-maturity} (reported after its vector's period ended), {@code matured} (its vector already
 * matured as a negative), {@code duplicate} (the transaction is already labelled) and {@code
 * unknown-transaction} (no vector arrived within a maturity period of the label). State of a
 * transaction is cleared a retention period after it settles.
 */
public final class LabelJoin
        extends KeyedCoProcessFunction<String, ServedVector, LabelEvent, Example> {

    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected-labels") {};

    static final String LABELLED = "labelled";
    static final String MATURED = "matured";

    private final long maturityMs;
    private final long retentionMs;

    private transient ValueState<ServedVector> vector;
    private transient ValueState<LabelEvent> waitingLabel;
    private transient ValueState<String> settled;
    private transient ValueState<Long> forgetAt;
    private transient Counter positives;
    private transient Counter negatives;
    private transient Counter rejected;
    private transient Counter duplicateVectors;

    /**
     * @param maturity how long after a transaction its label may still arrive
     * @param retention how long a settled transaction is remembered, so later labels for it are
     *     told apart from labels of unknown transactions
     */
    public LabelJoin(Duration maturity, Duration retention) {
        this.maturityMs = maturity.toMillis();
        this.retentionMs = retention.toMillis();
    }

    @Override
    public void open(OpenContext context) {
        vector =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("vector", ServedVector.class));
        waitingLabel =
                getRuntimeContext().getState(new ValueStateDescriptor<>("label", LabelEvent.class));
        settled = getRuntimeContext().getState(new ValueStateDescriptor<>("settled", String.class));
        forgetAt =
                getRuntimeContext().getState(new ValueStateDescriptor<>("forget-at", Long.class));
        var metrics = getRuntimeContext().getMetricGroup().addGroup("tideline_join");
        positives = metrics.counter("examples_positive");
        negatives = metrics.counter("examples_negative");
        rejected = metrics.counter("labels_rejected");
        duplicateVectors = metrics.counter("vectors_duplicate");
    }

    @Override
    public void processElement1(ServedVector v, Context ctx, Collector<Example> out)
            throws Exception {
        if (settled.value() != null || vector.value() != null) {
            duplicateVectors.inc(); // features.v1 is exactly-once: a second vector is a replay
            return;
        }
        LabelEvent label = waitingLabel.value();
        if (label != null) {
            waitingLabel.clear();
            if (label.reportedAtMs <= v.eventTimeMs + maturityMs) {
                emit(v, label.fraud, out);
                settle(LABELLED, ctx.timestamp(), ctx);
            } else {
                reject(ctx, label, "after-maturity", v);
                emit(v, false, out);
                settle(MATURED, ctx.timestamp(), ctx);
            }
            return;
        }
        vector.update(v);
        ctx.timerService().registerEventTimeTimer(v.eventTimeMs + maturityMs);
    }

    @Override
    public void processElement2(LabelEvent label, Context ctx, Collector<Example> out)
            throws Exception {
        ServedVector v = vector.value();
        if (v != null) {
            if (label.reportedAtMs <= v.eventTimeMs + maturityMs) {
                vector.clear();
                emit(v, label.fraud, out);
                settle(LABELLED, ctx.timestamp(), ctx);
            } else {
                reject(ctx, label, "after-maturity", v); // the vector matures on its timer
            }
            return;
        }
        String how = settled.value();
        if (how != null) {
            reject(ctx, label, how.equals(LABELLED) ? "duplicate" : MATURED, null);
            return;
        }
        if (waitingLabel.value() != null) {
            reject(ctx, label, "duplicate", null);
            return;
        }
        waitingLabel.update(label);
        ctx.timerService().registerEventTimeTimer(label.reportedAtMs + maturityMs);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Example> out)
            throws Exception {
        ServedVector v = vector.value();
        if (v != null && timestamp >= v.eventTimeMs + maturityMs) {
            vector.clear();
            emit(v, false, out);
            settle(MATURED, timestamp, ctx);
        }
        LabelEvent label = waitingLabel.value();
        if (label != null && timestamp >= label.reportedAtMs + maturityMs) {
            waitingLabel.clear();
            reject(ctx, label, "unknown-transaction", null);
        }
        Long forget = forgetAt.value();
        if (forget != null && timestamp >= forget) {
            settled.clear();
            forgetAt.clear();
        }
    }

    private void emit(ServedVector v, boolean fraud, Collector<Example> out) {
        (fraud ? positives : negatives).inc();
        out.collect(new Example(v.txnId, v.values, fraud, v.eventTimeMs, v.specFingerprint));
    }

    private void settle(String how, Long now, Context ctx) throws Exception {
        long base = now == null ? ctx.timerService().currentWatermark() : now;
        long forget = base + retentionMs;
        settled.update(how);
        forgetAt.update(forget);
        ctx.timerService().registerEventTimeTimer(forget);
    }

    private void reject(Context ctx, LabelEvent label, String reason, ServedVector v) {
        rejected.inc();
        String message =
                switch (reason) {
                    case "after-maturity" ->
                            "label reported at "
                                    + label.reportedAtMs
                                    + ", after the transaction's maturity at "
                                    + (v.eventTimeMs + maturityMs);
                    case MATURED -> "the transaction already matured without a label";
                    case "duplicate" -> "the transaction is already labelled";
                    default ->
                            "no served vector for "
                                    + label.txnId
                                    + " within "
                                    + Duration.ofMillis(maturityMs)
                                    + " of the label";
                };
        ctx.output(REJECTED, new Rejected(label.source, reason, null, message));
    }
}
