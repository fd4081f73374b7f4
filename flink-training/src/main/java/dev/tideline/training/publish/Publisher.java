package dev.tideline.training.publish;

import dev.tideline.schemas.model.Digests;
import dev.tideline.training.io.Example;
import dev.tideline.training.learn.ReleaseCandidate;
import dev.tideline.training.model.OnnxExport;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the aggregator's models into releases (parallelism 1, keyed by model name): exports each to
 * ONNX, validates the bytes in ONNX Runtime against the Java forward pass on a golden batch, and
 * only then numbers it (consecutive versions, none skipped for a failed model) and emits it. A
 * release whose progressive AUC is worse than the last promotable release's by more than {@code
 * aucMargin} is emitted flagged not-for-promotion. Failed validations are logged and counted.
 *
 * <p>Champion/challenger: the second input is the holdout, recent matured examples the learners
 * never see. Once it holds enough of both classes, each exported model (its ONNX bytes, in ONNX
 * Runtime) and the last promoted one are scored on it, and a release whose holdout AUC is worse
 * than the champion's by more than the margin is not for promotion, whatever its progressive AUC:
 * progressive metrics are measured on the stream the model trains on, and cannot see a stream whose
 * labels have gone wrong.
 */
public final class Publisher
        extends KeyedCoProcessFunction<String, ReleaseCandidate, Example, Release> {

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    static final int GOLDEN_ROWS = 256;

    /**
     * The fewest positives on which the examples since the last release are judged alone, and on
     * which the holdout judges a challenger: the AUC of fewer swings by more than a tenth from one
     * sample to the next (its standard error with 30 positives is already about 0.03 at an AUC of
     * 0.85). A window with fewer is judged on everything so far, and the release says so ({@code
     * auc_on_total}); a holdout with fewer does not judge yet.
     */
    static final int WINDOW_MIN_POSITIVES = 30;

    static final double TOLERANCE = 1e-5;

    /** The last release and the AUC a new one is compared with. A Flink POJO. */
    public static final class Published {
        public long version;
        public double promotedAuc = Double.NaN;
        public double promotedAucTotal = Double.NaN;

        /** The last promoted release's ONNX bytes: the champion on the holdout. */
        public byte[] champion;

        public Published() {}
    }

    private final SpecIdentity spec;
    private final double aucMargin;
    private final long gateMinExamples;
    private final int holdoutSize;
    private final int holdoutMin;
    private transient ValueState<Published> published;
    private transient ValueState<Holdout> holdout;

    /**
     * Holdout examples not yet folded into the ring. Each is appended alone (on RocksDB a merge of
     * its own bytes); reading and writing the whole ring for every example cost the job on RocksDB
     * four fifths of its rate.
     */
    private transient ListState<Example> arriving;

    /** Examples appended since the last fold, in this run (a restored list is folded with them). */
    private transient int unfolded;

    private transient Counter releases;
    private transient Counter candidates;
    private transient Counter failedValidation;
    private transient volatile double lastVersion = Double.NaN;
    private transient volatile double lastAuc = Double.NaN;

    /**
     * @param gateMinExamples the fewest examples since the last release (with both classes) on
     *     which the promotion gate judges; below that it compares the cumulative AUC with the last
     *     promotable release's
     */
    public Publisher(SpecIdentity spec, double aucMargin, long gateMinExamples) {
        this(spec, aucMargin, gateMinExamples, 2_000, 200);
    }

    /**
     * @param holdoutSize the most recent holdout examples kept
     * @param holdoutMin the fewest, with both classes, on which the champion/challenger gate judges
     */
    public Publisher(
            SpecIdentity spec,
            double aucMargin,
            long gateMinExamples,
            int holdoutSize,
            int holdoutMin) {
        this.spec = spec;
        this.aucMargin = aucMargin;
        this.gateMinExamples = gateMinExamples;
        this.holdoutSize = holdoutSize;
        this.holdoutMin = holdoutMin;
    }

    @Override
    public void open(OpenContext context) {
        published =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("published", Published.class));
        holdout =
                getRuntimeContext().getState(new ValueStateDescriptor<>("holdout", Holdout.class));
        arriving =
                getRuntimeContext()
                        .getListState(new ListStateDescriptor<>("holdout-arriving", Example.class));
        unfolded = 0;
        var metrics = getRuntimeContext().getMetricGroup().addGroup("tideline_publisher");
        releases = metrics.counter("releases");
        candidates = metrics.counter("releases_not_promotable");
        failedValidation = metrics.counter("validation_failures");
        // The newest release this subtask published, and the AUC its release record carries.
        metrics.<Double, Gauge<Double>>gauge("last_release_version", () -> lastVersion);
        metrics.<Double, Gauge<Double>>gauge("last_release_auc", () -> lastAuc);
    }

    /** A holdout example: kept, never trained on. */
    @Override
    public void processElement2(Example e, Context ctx, Collector<Release> out) throws Exception {
        // A copy: with object reuse on, the heap backend would keep the record handed out again.
        arriving.add(new Example(e.txnId, e.values.clone(), e.fraud, e.eventTimeMs));
        if (++unfolded >= holdoutSize) {
            fold();
        }
    }

    /** The ring with the arrived examples added, oldest first; the list is emptied. */
    private Holdout fold() throws Exception {
        Holdout h = holdout.value();
        boolean added = false;
        for (Example e : arriving.get()) {
            if (h == null) {
                h = new Holdout(holdoutSize, e.values.length);
            }
            h.add(e);
            added = true;
        }
        if (added) {
            holdout.update(h);
            arriving.clear();
        }
        unfolded = 0;
        return h;
    }

    @Override
    public void processElement1(ReleaseCandidate c, Context ctx, Collector<Release> out)
            throws Exception {
        String model = ctx.getCurrentKey();
        byte[] onnx = OnnxExport.export(c.network, c.scaler, "tideline-flink-training");
        OnnxExport.Validation v =
                OnnxExport.validate(onnx, c.network, c.scaler, GOLDEN_ROWS, TOLERANCE);
        if (!v.passed()) {
            failedValidation.inc();
            log.error(
                    "Not publishing {} (global v{}): ONNX validation failed: {}",
                    model,
                    c.globalVersion,
                    v.detail());
            return;
        }
        Published last = published.value();
        if (last == null) {
            last = new Published();
        }
        // Judged on the examples since the last release; when those are too few (or hold too
        // few positives), on everything so far against the last promotable release's
        // cumulative AUC.
        double auc = c.window.auc();
        double total = c.total.auc();
        boolean enough =
                c.window.count >= gateMinExamples
                        && c.window.positiveCount() >= WINDOW_MIN_POSITIVES
                        && !Double.isNaN(auc);
        double judged = enough ? auc : total;
        double against = enough ? last.promotedAuc : last.promotedAucTotal;
        // A model is promoted only once it ranks better than a constant score would, on enough
        // examples; then only when it is not worse than the last promoted one by the margin.
        boolean beatsConstant =
                !Double.isNaN(judged) && judged > 0.5 && c.total.count >= gateMinExamples;
        boolean promotable =
                beatsConstant && (Double.isNaN(against) || judged >= against - aucMargin);
        // Champion/challenger on the holdout, with the exported bytes as serving will run them.
        Holdout h = fold();
        double holdoutAuc = Double.NaN;
        double holdoutAp = Double.NaN;
        double championAuc = Double.NaN;
        boolean beatsChampion = true;
        if (h != null && h.judges(holdoutMin, WINDOW_MIN_POSITIVES)) {
            float[] rows = h.rows();
            boolean[] labels = h.labels();
            float[] scores = OnnxExport.score(onnx, rows, h.width);
            holdoutAuc = Holdout.auc(scores, labels);
            holdoutAp = Holdout.averagePrecision(scores, labels);
            if (last.champion != null) {
                championAuc = Holdout.auc(OnnxExport.score(last.champion, rows, h.width), labels);
            }
            beatsChampion =
                    holdoutAuc > 0.5
                            && (Double.isNaN(championAuc) || holdoutAuc >= championAuc - aucMargin);
        }
        boolean passesProgressive = promotable;
        promotable = passesProgressive && beatsChampion;

        Release r = new Release();
        r.modelName = model;
        r.version = last.version + 1;
        r.createdAtMs = c.createdAtMs;
        r.specId = spec.id();
        r.specVersion = spec.version();
        r.specFingerprint = spec.fingerprint();
        r.inputWidth = c.network.width();
        r.onnx = onnx;
        r.sha256 = Digests.sha256(onnx);
        Map<String, Double> m = new LinkedHashMap<>();
        // Never NaN: a window without both classes is judged on everything so far, and says so;
        // before any positive at all, the model is no better than a constant (0.5).
        m.put("auc", Double.isNaN(judged) ? 0.5 : judged);
        m.put("auc_on_total", enough ? 0.0 : 1.0);
        if (!Double.isNaN(auc)) {
            m.put("auc_window", auc);
        }
        // Like the AUC, the log-loss is the judged window's, and never NaN: before any example
        // it is a constant 0.5's.
        double logLoss = (enough ? c.window : c.total).logLoss();
        m.put("log_loss", Double.isNaN(logLoss) ? Math.log(2) : logLoss);
        if (!Double.isNaN(total)) {
            m.put("auc_total", total);
        }
        if (c.total.count > 0) {
            m.put("log_loss_total", c.total.logLoss());
        }
        m.put("positives_window", (double) c.window.positiveCount());
        m.put("examples_window", (double) c.window.count);
        m.put("examples_trained", (double) c.examplesTrained);
        m.put("examples_discarded", (double) c.examplesDiscarded);
        m.put("updates_discarded", (double) c.updatesDiscarded);
        m.put("global_version", (double) c.globalVersion);
        m.put("onnx_max_difference", v.maxDifference());
        m.put("holdout_size", h == null ? 0.0 : h.size);
        if (!Double.isNaN(holdoutAuc)) {
            m.put("holdout_auc", holdoutAuc);
            m.put("holdout_ap", holdoutAp);
        }
        if (!Double.isNaN(championAuc)) {
            m.put("champion_holdout_auc", championAuc);
        }
        r.metrics = m;
        r.parentVersion = last.version == 0 ? -1 : last.version;
        r.trainingWatermarkMs = c.maxEventTimeMs;
        r.promotable = promotable;

        last.version = r.version;
        if (promotable) {
            if (enough) {
                last.promotedAuc = auc;
            }
            last.promotedAucTotal = total;
            last.champion = onnx;
        } else {
            candidates.inc();
            if (!passesProgressive) {
                log.warn(
                        "{} v{} is a candidate only: progressive AUC {} (on {}) does not beat a"
                                + " constant score or is worse than {} by more than {}",
                        model,
                        r.version,
                        judged,
                        enough ? "the window" : "everything so far",
                        against,
                        aucMargin);
            } else {
                log.warn(
                        "{} v{} is a candidate only: holdout AUC {} against the champion's {}"
                                + " (progressive AUC {})",
                        model,
                        r.version,
                        holdoutAuc,
                        championAuc,
                        judged);
            }
        }
        published.update(last);
        releases.inc();
        lastVersion = r.version;
        lastAuc = m.get("auc");
        log.info(
                "Releasing {} v{} (global v{}, AUC {}, {} examples){}",
                model,
                r.version,
                c.globalVersion,
                m.get("auc"),
                c.examplesTrained,
                promotable ? "" : " not for promotion");
        out.collect(r);
    }
}
