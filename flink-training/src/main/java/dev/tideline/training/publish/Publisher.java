package dev.tideline.training.publish;

import dev.tideline.schemas.model.Digests;
import dev.tideline.training.learn.ReleaseCandidate;
import dev.tideline.training.model.OnnxExport;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the aggregator's models into releases (parallelism 1, keyed by model name): exports each to
 * ONNX, validates the bytes in ONNX Runtime against the Java forward pass on a golden batch, and
 * only then numbers it (consecutive versions, none skipped for a failed model) and emits it. A
 * release whose progressive AUC is worse than the last promotable release's by more than {@code
 * aucMargin} is emitted flagged not-for-promotion. Failed validations are logged and counted.
 */
public final class Publisher extends KeyedProcessFunction<String, ReleaseCandidate, Release> {

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    static final int GOLDEN_ROWS = 256;
    static final double TOLERANCE = 1e-5;

    /** The last release and the AUC a new one is compared with. A Flink POJO. */
    public static final class Published {
        public long version;
        public double promotedAuc = Double.NaN;
        public double promotedAucTotal = Double.NaN;

        public Published() {}
    }

    private final SpecIdentity spec;
    private final double aucMargin;
    private final long gateMinExamples;
    private transient ValueState<Published> published;
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
        this.spec = spec;
        this.aucMargin = aucMargin;
        this.gateMinExamples = gateMinExamples;
    }

    @Override
    public void open(OpenContext context) {
        published =
                getRuntimeContext()
                        .getState(new ValueStateDescriptor<>("published", Published.class));
        var metrics = getRuntimeContext().getMetricGroup().addGroup("tideline_publisher");
        releases = metrics.counter("releases");
        candidates = metrics.counter("releases_not_promotable");
        failedValidation = metrics.counter("validation_failures");
        // The newest release this subtask published, and the AUC its release record carries.
        metrics.<Double, Gauge<Double>>gauge("last_release_version", () -> lastVersion);
        metrics.<Double, Gauge<Double>>gauge("last_release_auc", () -> lastAuc);
    }

    @Override
    public void processElement(ReleaseCandidate c, Context ctx, Collector<Release> out)
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
        // Judged on the examples since the last release; when those are too few (or one class
        // only), on everything so far against the last promotable release's cumulative AUC.
        double auc = c.window.auc();
        double total = c.total.auc();
        boolean enough = c.window.count >= gateMinExamples && !Double.isNaN(auc);
        double judged = enough ? auc : total;
        double against = enough ? last.promotedAuc : last.promotedAucTotal;
        // A model is promoted only once it ranks better than a constant score would, on enough
        // examples; then only when it is not worse than the last promoted one by the margin.
        boolean beatsConstant =
                !Double.isNaN(judged) && judged > 0.5 && c.total.count >= gateMinExamples;
        boolean promotable =
                beatsConstant && (Double.isNaN(against) || judged >= against - aucMargin);

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
        m.put("log_loss", c.window.logLoss());
        m.put("auc_total", c.total.auc());
        m.put("log_loss_total", c.total.logLoss());
        m.put("examples_window", (double) c.window.count);
        m.put("examples_trained", (double) c.examplesTrained);
        m.put("examples_discarded", (double) c.examplesDiscarded);
        m.put("updates_discarded", (double) c.updatesDiscarded);
        m.put("global_version", (double) c.globalVersion);
        m.put("onnx_max_difference", v.maxDifference());
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
        } else {
            candidates.inc();
            log.warn(
                    "{} v{} is a candidate only: AUC {} is worse than {} by more than {}",
                    model,
                    r.version,
                    judged,
                    against,
                    aucMargin);
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
                auc,
                c.examplesTrained,
                promotable ? "" : " not for promotion");
        out.collect(r);
    }
}
