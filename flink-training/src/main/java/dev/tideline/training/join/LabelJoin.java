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

    private transient ValueState<Transaction> state;
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
        state =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "transaction", TransactionSerializer.INSTANCE));
        var metrics = getRuntimeContext().getMetricGroup().addGroup("tideline_join");
        positives = metrics.counter("examples_positive");
        negatives = metrics.counter("examples_negative");
        rejected = metrics.counter("labels_rejected");
        duplicateVectors = metrics.counter("vectors_duplicate");
    }

    @Override
    public void processElement1(ServedVector v, Context ctx, Collector<Example> out)
            throws Exception {
        Transaction t = state.value();
        if (t == null) {
            t = new Transaction();
        } else if (t.settled != null || t.vector != null) {
            duplicateVectors.inc(); // features.v1 is exactly-once: a second vector is a replay
            return;
        }
        LabelEvent label = t.label;
        if (label != null) {
            t.label = null;
            if (label.reportedAtMs <= v.eventTimeMs + maturityMs) {
                emit(v, label.fraud, out);
                settle(t, LABELLED, v.eventTimeMs, ctx);
            } else {
                reject(ctx, label, "after-maturity", v);
                emit(v, false, out);
                settle(t, MATURED, v.eventTimeMs, ctx);
            }
        } else {
            t.vector = v;
            ctx.timerService().registerEventTimeTimer(v.eventTimeMs + maturityMs);
        }
        state.update(t);
    }

    @Override
    public void processElement2(LabelEvent label, Context ctx, Collector<Example> out)
            throws Exception {
        Transaction t = state.value();
        if (t == null) {
            t = new Transaction();
        }
        ServedVector v = t.vector;
        if (v != null) {
            if (label.reportedAtMs > v.eventTimeMs + maturityMs) {
                reject(ctx, label, "after-maturity", v); // the vector matures on its timer
                return;
            }
            t.vector = null;
            emit(v, label.fraud, out);
            settle(t, LABELLED, label.reportedAtMs, ctx);
        } else if (t.settled != null) {
            reject(ctx, label, t.settled.equals(LABELLED) ? "duplicate" : MATURED, null);
            return;
        } else if (t.label != null) {
            reject(ctx, label, "duplicate", null);
            return;
        } else {
            t.label = label;
            ctx.timerService().registerEventTimeTimer(label.reportedAtMs + maturityMs);
        }
        state.update(t);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Example> out)
            throws Exception {
        Transaction t = state.value();
        if (t == null) {
            return;
        }
        ServedVector v = t.vector;
        if (v != null && timestamp >= v.eventTimeMs + maturityMs) {
            t.vector = null;
            emit(v, false, out);
            settle(t, MATURED, timestamp, ctx);
        }
        LabelEvent label = t.label;
        if (label != null && timestamp >= label.reportedAtMs + maturityMs) {
            t.label = null;
            reject(ctx, label, "unknown-transaction", null);
        }
        if (t.settled != null && timestamp >= t.forgetAtMs) {
            t.settled = null;
        }
        if (t.vector == null && t.label == null && t.settled == null) {
            state.clear();
        } else {
            state.update(t);
        }
    }

    private void emit(ServedVector v, boolean fraud, Collector<Example> out) {
        (fraud ? positives : negatives).inc();
        out.collect(new Example(v.txnId, v.values, fraud, v.eventTimeMs));
    }

    /** Remembers how the transaction settled until {@code at} + the retention period. */
    private void settle(Transaction t, String how, long at, Context ctx) {
        t.settled = how;
        t.forgetAtMs = at + retentionMs;
        ctx.timerService().registerEventTimeTimer(t.forgetAtMs);
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
