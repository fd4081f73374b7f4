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
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Joins each served vector with its transaction's label at maturity, by event time and keyed by
 * transaction id. A fraud label reported within the maturity period makes a positive example; a
 * clean label makes a negative one at once; no label by the end of the period makes a negative one.
 * The features are the ones served: nothing is recomputed.
 *
 * <p>When the labels have already been read past a vector's maturity (their input's watermark, see
 * {@link Operator}), the vector is decided as it arrives, by one state read: that is how the job
 * reads a backlog (a first deployment over history, a restart after downtime, a replay), since the
 * labels topic is read ahead of the far larger vectors one. Otherwise the vector waits in state for
 * its label, or for the watermark to pass its maturity on a timer.
 *
 * <p>Labels that cannot be used go to the {@link #REJECTED} side output with a reason: {@code
 * after-maturity} (reported after its vector's period ended), {@code duplicate} (the transaction is
 * already labelled) and {@code unknown-transaction} (no vector was waiting for it, nor arrived
 * within a maturity period of the label: the transaction is unknown, or it matured as a negative
 * before the label came). A labelled transaction is remembered for a retention period, so that a
 * label delivered again is told apart; a negative leaves no state behind, so a vector replayed
 * after its negative (which the exactly-once {@code features.v1} does not do) would be trained on
 * again.
 */
public final class LabelJoin
        extends KeyedCoProcessFunction<String, ServedVector, LabelEvent, Example> {

    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected-labels") {};

    static final String LABELLED = "labelled";

    /** How transactions settled as negatives were marked by earlier versions of the join. */
    static final String MATURED = "matured";

    /** When a fraud label makes a positive example. */
    public enum Positives {
        /**
         * As soon as the label and the vector are both there: new fraud patterns are learned within
         * the chargeback delay. Until a maturity period of negatives has passed (at start, after a
         * replay) the learners see mostly positives.
         */
        AT_LABEL,
        /**
         * When the vector matures, as its negatives do: positives and negatives of the same period
         * reach the learners together, at the cost of learning a new pattern one maturity later.
         */
        AT_MATURITY
    }

    private final long maturityMs;
    private final long retentionMs;
    private final Positives positivesAt;

    /**
     * The watermark of the labels input, and whether it is idle: set by {@link Operator}. Not
     * state: after a restore the join waits for the next watermark before deciding at once.
     */
    private transient long labelsReadTo = Long.MIN_VALUE;

    private transient boolean labelsIdle;

    private transient ValueState<Transaction> state;
    private transient Counter positives;
    private transient Counter negatives;
    private transient Counter rejected;
    private transient Counter duplicateVectors;
    private transient Counter decidedOnArrival;

    /**
     * @param maturity how long after a transaction its label may still arrive
     * @param retention how long a settled transaction is remembered, so later labels for it are
     *     told apart from labels of unknown transactions
     */
    public LabelJoin(Duration maturity, Duration retention) {
        this(maturity, retention, Positives.AT_LABEL);
    }

    /**
     * @param positives when a fraud label makes a positive example
     */
    public LabelJoin(Duration maturity, Duration retention, Positives positives) {
        this.maturityMs = maturity.toMillis();
        this.retentionMs = retention.toMillis();
        this.positivesAt = positives;
    }

    /** The join as a keyed two-input operator that tells it how far the labels have been read. */
    public static Operator operator(Duration maturity, Duration retention) {
        return operator(maturity, retention, Positives.AT_LABEL);
    }

    /** As {@link #operator(Duration, Duration)}, with positives made at label or at maturity. */
    public static Operator operator(Duration maturity, Duration retention, Positives positives) {
        return new Operator(new LabelJoin(maturity, retention, positives));
    }

    @Override
    public void open(OpenContext context) {
        labelsReadTo = Long.MIN_VALUE;
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
        decidedOnArrival = metrics.counter("vectors_decided_on_arrival");
    }

    @Override
    public void processElement1(ServedVector v, Context ctx, Collector<Example> out)
            throws Exception {
        long maturesAt = v.eventTimeMs + maturityMs;
        Transaction t = state.value();
        if (t != null && (t.settled != null || t.vector != null)) {
            duplicateVectors.inc(); // features.v1 is exactly-once: a second vector is a replay
            return;
        }
        // A transaction in state that is neither settled nor waiting holds a label.
        LabelEvent label = t == null ? null : t.label;
        if (label != null) {
            if (label.reportedAtMs <= maturesAt
                    && positivesAt == Positives.AT_MATURITY
                    && !(!labelsIdle && labelsReadTo >= maturesAt)) {
                // The label waits with its vector for the vector's maturity.
                t.vector = v;
                ctx.timerService().registerEventTimeTimer(maturesAt);
                state.update(t);
                return;
            }
            t.label = null;
            if (label.reportedAtMs <= maturesAt) {
                emit(v, label.fraud, out);
                settle(t, v.eventTimeMs, ctx);
                state.update(t);
            } else {
                reject(ctx, label, "after-maturity", v);
                emit(v, false, out);
                state.clear();
            }
        } else if (!labelsIdle && labelsReadTo >= maturesAt) {
            // Every label reported by the vector's maturity has been read, and none is for it:
            // a negative at once, and nothing to keep.
            decidedOnArrival.inc();
            emit(v, false, out);
        } else {
            t = new Transaction();
            t.vector = v;
            ctx.timerService().registerEventTimeTimer(maturesAt);
            state.update(t);
        }
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
            if (positivesAt == Positives.AT_MATURITY) {
                if (t.label != null) {
                    reject(ctx, label, "duplicate", null);
                    return;
                }
                t.label = label; // decided with the vector, at its maturity
                state.update(t);
                return;
            }
            t.vector = null;
            emit(v, label.fraud, out);
            settle(t, label.reportedAtMs, ctx);
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
            LabelEvent attached = t.label;
            if (attached != null) {
                // Positives at maturity: the label waited with its vector.
                t.label = null;
                emit(v, attached.fraud, out);
                settle(t, attached.reportedAtMs, ctx);
            } else {
                emit(v, false, out);
            }
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

    /** Remembers that the transaction was labelled until {@code at} + the retention period. */
    private void settle(Transaction t, long at, Context ctx) {
        t.settled = LABELLED;
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
                                    + " of the label: the transaction is unknown, or it"
                                    + " matured before the label was reported";
                };
        ctx.output(REJECTED, new Rejected(label.source, reason, null, message));
    }

    /**
     * Runs {@link LabelJoin} and hands it the labels input's own watermark and idleness, which a
     * {@link KeyedCoProcessFunction} does not see: it only sees the smaller of the two inputs'.
     */
    public static final class Operator
            extends KeyedCoProcessOperator<String, ServedVector, LabelEvent, Example> {

        private static final long serialVersionUID = 1L;

        Operator(LabelJoin join) {
            super(join);
        }

        @Override
        public void processWatermark2(Watermark mark) throws Exception {
            ((LabelJoin) userFunction).labelsReadTo = mark.getTimestamp();
            super.processWatermark2(mark);
        }

        @Override
        protected void processWatermarkStatus(WatermarkStatus status, int index) throws Exception {
            if (index == 1) {
                ((LabelJoin) userFunction).labelsIdle = status.isIdle();
            }
            super.processWatermarkStatus(status, index);
        }
    }
}
