package dev.tideline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.schemas.model.Evaluation;
import dev.tideline.simulator.FraudScenario;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.VectorGraphicsEncoder.VectorGraphicsFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The demo's report: one self-contained HTML file with its charts as inline SVG (XChart), so it
 * opens offline, and the data behind every chart as JSON in the page.
 */
final class DemoReport {

    /** The share of payments flagged when detection per scenario is counted: the top 1%. */
    static final double ALERT_RATE = 0.01;

    private final DemoMonitor monitor;
    private final ObjectNode summary;
    private final ObjectNode data;
    private final StringBuilder html = new StringBuilder();

    private DemoReport(DemoMonitor monitor, ObjectNode summary) {
        this.monitor = monitor;
        this.summary = summary;
        this.data = new ObjectMapper().createObjectNode();
    }

    /**
     * Grading of the scores a trained model served (not the fallback), from {@code fromVersion}.
     */
    record Scored(float[] scores, boolean[] fraud, FraudScenario[] scenario) {
        int size() {
            return scores.length;
        }

        long frauds() {
            return IntStream.range(0, fraud.length).filter(i -> fraud[i]).count();
        }

        double auc() {
            return Evaluation.auc(scores, fraud);
        }

        double averagePrecision() {
            return Evaluation.averagePrecision(scores, fraud);
        }

        /** The frauds of one scenario and every legitimate payment. */
        Scored of(FraudScenario kept) {
            return keeping(i -> !fraud[i] || scenario[i] == kept);
        }

        /** Every payment but the frauds of one scenario. */
        Scored without(FraudScenario dropped) {
            return keeping(i -> !fraud[i] || scenario[i] != dropped);
        }

        private Scored keeping(IntPredicate kept) {
            int[] rows = IntStream.range(0, scores.length).filter(kept).toArray();
            float[] s = new float[rows.length];
            boolean[] f = new boolean[rows.length];
            FraudScenario[] sc = new FraudScenario[rows.length];
            for (int j = 0; j < rows.length; j++) {
                s[j] = scores[rows[j]];
                f[j] = fraud[rows[j]];
                sc[j] = scenario[rows[j]];
            }
            return new Scored(s, f, sc);
        }

        /** The score at or above which the top {@code share} of payments lie. */
        double threshold(double share) {
            if (scores.length == 0) {
                return Double.NaN;
            }
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            int i = (int) Math.min(sorted.length - 1, Math.floor((1 - share) * sorted.length));
            return sorted[i];
        }
    }

    /**
     * The predictions a trained model made from release {@code fromVersion} on; {@code liveOnly}
     * keeps the live payments' (the history is mostly scored by the fallback or by models still
     * learning it, while the pipeline catches up).
     */
    static Scored scored(List<DemoMonitor.Graded> graded, long fromVersion, boolean liveOnly) {
        List<DemoMonitor.Graded> kept = byTrainedModels(graded, fromVersion, liveOnly);
        float[] s = new float[kept.size()];
        boolean[] f = new boolean[kept.size()];
        FraudScenario[] sc = new FraudScenario[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            s[i] = (float) kept.get(i).score();
            f[i] = kept.get(i).fraud();
            sc[i] = kept.get(i).scenario();
        }
        return new Scored(s, f, sc);
    }

    /** The predictions made by release {@code fromVersion} on, the live ones' with liveOnly. */
    private static List<DemoMonitor.Graded> byTrainedModels(
            List<DemoMonitor.Graded> graded, long fromVersion, boolean liveOnly) {
        List<DemoMonitor.Graded> kept = new ArrayList<>();
        for (DemoMonitor.Graded g : graded) {
            if (g.modelVersion() >= 0
                    && fromVersion > 0
                    && g.modelVersion() >= fromVersion
                    && (g.live() || !liveOnly)) {
                kept.add(g);
            }
        }
        return kept;
    }

    /** Writes the report to {@code file}. */
    static void write(Path file, DemoMonitor monitor, ObjectNode summary, long firstPromoted)
            throws IOException {
        DemoReport r = new DemoReport(monitor, summary);
        r.build(firstPromoted);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, r.html.toString(), StandardCharsets.UTF_8);
    }

    private void build(long firstPromoted) throws IOException {
        html.append(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tideline demo"
                        + " report</title><style>body{font-family:sans-serif;max-width:1100px;"
                        + "margin:2em auto;color:#222}h1{margin-bottom:0}table{border-collapse:"
                        + "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
                        + "text-align:right}th{background:#f4f4f4}.charts{display:flex;"
                        + "flex-wrap:wrap;gap:12px}.chart{flex:1 1 500px}.note{color:#666;"
                        + "font-size:90%}</style></head><body>");
        html.append("<h1>Tideline demo</h1><p class=\"note\">")
                .append(Instant.now())
                .append(" — payments simulated with planted fraud, scored by the pipeline, graded")
                .append(" against the simulator's ground truth.</p>");
        summaryTable();
        Scored served = scored(monitor.graded(), firstPromoted, true);
        html.append("<h2>Throughput</h2><div class=\"charts\">");
        chart(throughput());
        chart(latency());
        html.append("</div><h2>Models</h2><div class=\"charts\">");
        chart(releases());
        html.append("</div>");
        batchReference(firstPromoted);
        releaseTable();
        html.append("<h2>Served scores</h2><p class=\"note\">Live payments scored by a trained")
                .append(" model from the first promoted release on (")
                .append(served.size())
                .append(" payments); the fallback's scores are left out.</p>")
                .append("<div class=\"charts\">");
        chart(roc(served));
        chart(precisionRecall(served));
        chart(scoreDistribution(served));
        chart(detection(served));
        html.append("</div>");
        deadLetterTable();
        html.append("<script type=\"application/json\" id=\"tideline-report-data\">")
                .append(data.toString().replace("</", "<\\/"))
                .append("</script></body></html>\n");
    }

    private void summaryTable() {
        html.append("<table><tr>");
        summary.fieldNames().forEachRemaining(k -> html.append("<th>").append(k).append("</th>"));
        html.append("</tr><tr>");
        summary.elements()
                .forEachRemaining(
                        v -> html.append("<td>").append(escape(v.asText())).append("</td>"));
        html.append("</tr></table>");
        data.set("summary", summary);
    }

    private XYChart throughput() {
        XYChart c = xy("Throughput by stage", "seconds since start", "records per second");
        List<DemoMonitor.Tick> ticks = monitor.ticks();
        ArrayNode series = data.putArray("throughput");
        double[] x = new double[Math.max(0, ticks.size() - 1)];
        double[][] y = new double[4][x.length];
        for (int i = 1; i < ticks.size(); i++) {
            DemoMonitor.Tick a = ticks.get(i - 1);
            DemoMonitor.Tick b = ticks.get(i);
            x[i - 1] = b.second();
            y[0][i - 1] = b.payments() - a.payments();
            y[1][i - 1] = b.vectors() - a.vectors();
            y[2][i - 1] = b.predictions() - a.predictions();
            y[3][i - 1] = b.labels() - a.labels();
            series.addObject()
                    .put("second", b.second())
                    .put("payments", y[0][i - 1])
                    .put("vectors", y[1][i - 1])
                    .put("predictions", y[2][i - 1])
                    .put("labels", y[3][i - 1]);
        }
        String[] names = {"payments sent", "vectors", "predictions", "labels"};
        // The history arrives in a burst hundreds of times the live rate: a log scale shows both.
        c.getStyler().setYAxisLogarithmic(true);
        c.setYAxisTitle("records per second (log scale, from 1)");
        for (int s = 0; s < names.length; s++) {
            for (int i = 0; i < y[s].length; i++) {
                y[s][i] = Math.max(1, y[s][i]);
            }
            add(c, names[s], x, y[s]);
        }
        return c;
    }

    private CategoryChart latency() {
        long[] l = monitor.latencies();
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(520)
                        .height(320)
                        .title("Live payments: send → committed prediction")
                        .xAxisTitle("milliseconds")
                        .yAxisTitle("payments")
                        .build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(60);
        long[] edges = {0, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000};
        List<String> labels = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        ArrayNode hist = data.putArray("latency_histogram");
        for (int i = 0; i < edges.length; i++) {
            long lo = edges[i];
            long hi = i + 1 < edges.length ? edges[i + 1] : Long.MAX_VALUE;
            long n = Arrays.stream(l).filter(v -> v >= lo && v < hi).count();
            String label = hi == Long.MAX_VALUE ? "≥" + lo : lo + "–" + hi;
            labels.add(label);
            counts.add(n);
            hist.addObject().put("bucket_ms", label).put("payments", n);
        }
        c.addSeries("payments", labels, counts);
        data.put("latency_p50_ms", DemoMonitor.quantile(l, 0.5));
        data.put("latency_p99_ms", DemoMonitor.quantile(l, 0.99));
        return c;
    }

    private XYChart releases() {
        XYChart c = xy("AUC and average precision by release", "release version", "");
        List<DemoMonitor.Release> releases = monitor.releases();
        ArrayNode rows = data.putArray("releases");
        List<DemoMonitor.Graded> graded = monitor.graded();
        double[] v = new double[releases.size()];
        double[] progressive = new double[releases.size()];
        double[] servedAuc = new double[releases.size()];
        double[] servedAp = new double[releases.size()];
        for (int i = 0; i < releases.size(); i++) {
            DemoMonitor.Release r = releases.get(i);
            v[i] = r.version();
            progressive[i] = r.metrics().getOrDefault("auc", Double.NaN);
            Scored byThis = only(graded, r.version());
            servedAuc[i] = byThis.size() > 0 ? byThis.auc() : Double.NaN;
            servedAp[i] = byThis.size() > 0 ? byThis.averagePrecision() : Double.NaN;
            ObjectNode row = rows.addObject();
            row.put("version", r.version());
            row.put("created_at", Instant.ofEpochMilli(r.createdAt()).toString());
            row.put("promotable", r.promotable());
            row.put("progressive_auc", progressive[i]);
            row.put("examples_trained", r.metrics().getOrDefault("examples_trained", Double.NaN));
            row.put("served_predictions", byThis.size());
            row.put("served_auc", servedAuc[i]);
            row.put("served_ap", servedAp[i]);
        }
        add(c, "progressive AUC (training)", v, progressive);
        add(c, "served AUC", v, servedAuc);
        add(c, "served average precision", v, servedAp);
        return c;
    }

    private static Scored only(List<DemoMonitor.Graded> graded, long version) {
        List<DemoMonitor.Graded> kept =
                graded.stream().filter(g -> g.modelVersion() == version).toList();
        return scored(kept, version, false);
    }

    private XYChart roc(Scored s) {
        XYChart c = xy("ROC of served scores", "false positive rate", "true positive rate");
        double[][] curve = curve(s, true);
        add(c, String.format("AUC %.3f", s.auc()), curve[0], curve[1]);
        putCurve("roc", curve);
        return c;
    }

    private XYChart precisionRecall(Scored s) {
        XYChart c = xy("Precision–recall of served scores", "recall", "precision");
        double[][] curve = curve(s, false);
        add(c, String.format("AP %.3f", s.averagePrecision()), curve[0], curve[1]);
        putCurve("precision_recall", curve);
        return c;
    }

    /** ROC (fpr, tpr) or precision–recall (recall, precision) at up to 200 thresholds. */
    private static double[][] curve(Scored s, boolean roc) {
        Integer[] order = new Integer[s.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(s.scores()[b], s.scores()[a]));
        long positives = 0;
        for (boolean f : s.fraud()) {
            positives += f ? 1 : 0;
        }
        long negatives = s.size() - positives;
        List<double[]> points = new ArrayList<>();
        points.add(roc ? new double[] {0, 0} : new double[] {0, 1});
        long tp = 0;
        long fp = 0;
        int step = Math.max(1, order.length / 2000);
        for (int i = 0; i < order.length; i++) {
            if (s.fraud()[order[i]]) {
                tp++;
            } else {
                fp++;
            }
            if ((i + 1) % step == 0 || i == order.length - 1) {
                if (roc) {
                    points.add(
                            new double[] {
                                negatives == 0 ? 0 : (double) fp / negatives,
                                positives == 0 ? 0 : (double) tp / positives
                            });
                } else {
                    points.add(
                            new double[] {
                                positives == 0 ? 0 : (double) tp / positives,
                                (double) tp / (tp + fp)
                            });
                }
            }
        }
        double[][] out = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++) {
            out[0][i] = points.get(i)[0];
            out[1][i] = points.get(i)[1];
        }
        return out;
    }

    private void putCurve(String name, double[][] curve) {
        ArrayNode a = data.putArray(name);
        for (int i = 0; i < curve[0].length; i++) {
            a.addArray().add(curve[0][i]).add(curve[1][i]);
        }
    }

    private CategoryChart scoreDistribution(Scored s) {
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(520)
                        .height(320)
                        .title("Score distribution (share of each class)")
                        .xAxisTitle("score")
                        .yAxisTitle("share")
                        .build();
        int bins = 20;
        double[] fraud = new double[bins];
        double[] legit = new double[bins];
        long nf = 0;
        long nl = 0;
        for (int i = 0; i < s.size(); i++) {
            int b = Math.min(bins - 1, (int) (s.scores()[i] * bins));
            if (s.fraud()[i]) {
                fraud[b]++;
                nf++;
            } else {
                legit[b]++;
                nl++;
            }
        }
        List<String> x = new ArrayList<>();
        List<Double> yf = new ArrayList<>();
        List<Double> yl = new ArrayList<>();
        ArrayNode rows = data.putArray("score_distribution");
        for (int b = 0; b < bins; b++) {
            x.add(String.format("%.2f", (double) b / bins));
            yf.add(nf == 0 ? 0 : fraud[b] / nf);
            yl.add(nl == 0 ? 0 : legit[b] / nl);
            rows.addObject()
                    .put("from", (double) b / bins)
                    .put("fraud", yf.get(b))
                    .put("legitimate", yl.get(b));
        }
        c.addSeries("fraud", x, yf);
        c.addSeries("legitimate", x, yl);
        c.getStyler().setXAxisLabelRotation(90);
        return c;
    }

    private CategoryChart detection(Scored s) {
        double threshold = s.threshold(ALERT_RATE);
        Map<String, long[]> byScenario = new TreeMap<>();
        for (FraudScenario sc : FraudScenario.values()) {
            byScenario.put(sc.tag(), new long[2]);
        }
        for (int i = 0; i < s.size(); i++) {
            if (s.scenario()[i] != null) {
                long[] n = byScenario.get(s.scenario()[i].tag());
                n[0]++;
                if (s.scores()[i] >= threshold) {
                    n[1]++;
                }
            }
        }
        CategoryChart c =
                new CategoryChartBuilder()
                        .width(520)
                        .height(320)
                        .title("Frauds caught in the top 1% of scores, by scenario")
                        .xAxisTitle("scenario")
                        .yAxisTitle("detection rate")
                        .build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(30);
        List<String> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        ObjectNode rows = data.putObject("detection_by_scenario");
        byScenario.forEach(
                (k, n) -> {
                    x.add(k);
                    double rate = n[0] == 0 ? 0 : (double) n[1] / n[0];
                    y.add(rate);
                    rows.putObject(k).put("frauds", n[0]).put("caught", n[1]).put("rate", rate);
                });
        c.addSeries("detection", x, y);
        return c;
    }

    /**
     * The batch reference's row: a logistic regression fitted offline on the history's served
     * vectors and labels, judged on the live payments the trained models scored, beside those
     * models' own scores of the same payments (the ceiling {@code bench quality} measures).
     */
    private void batchReference(long firstPromoted) {
        List<DemoMonitor.Graded> live = byTrainedModels(monitor.graded(), firstPromoted, true);
        float[] reference = monitor.reference(live);
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < reference.length; i++) {
            if (!Float.isNaN(reference[i])) {
                kept.add(i);
            }
        }
        float[] batch = new float[kept.size()];
        float[] online = new float[kept.size()];
        boolean[] fraud = new boolean[kept.size()];
        for (int k = 0; k < batch.length; k++) {
            batch[k] = reference[kept.get(k)];
            online[k] = (float) live.get(kept.get(k)).score();
            fraud[k] = live.get(kept.get(k)).fraud();
        }
        ObjectNode row = data.putObject("batch_reference");
        row.put("payments", batch.length);
        row.put("batch_lr_auc", batch.length == 0 ? Double.NaN : Evaluation.auc(batch, fraud));
        row.put(
                "batch_lr_ap",
                batch.length == 0 ? Double.NaN : Evaluation.averagePrecision(batch, fraud));
        row.put("online_auc", batch.length == 0 ? Double.NaN : Evaluation.auc(online, fraud));
        row.put(
                "online_ap",
                batch.length == 0 ? Double.NaN : Evaluation.averagePrecision(online, fraud));
    }

    private void releaseTable() {
        html.append("<table><tr><th>version</th><th>created</th><th>examples trained</th>")
                .append("<th>progressive AUC</th><th>served AUC</th><th>served AP</th>")
                .append("<th>predictions</th><th>promoted</th></tr>");
        data.withArray("releases")
                .forEach(
                        r ->
                                html.append("<tr><td>")
                                        .append(r.get("version").asLong())
                                        .append("</td><td>")
                                        .append(escape(r.get("created_at").asText()))
                                        .append("</td><td>")
                                        .append(fmt(r.get("examples_trained").asDouble(), 0))
                                        .append("</td><td>")
                                        .append(fmt(r.get("progressive_auc").asDouble(), 3))
                                        .append("</td><td>")
                                        .append(fmt(r.get("served_auc").asDouble(), 3))
                                        .append("</td><td>")
                                        .append(fmt(r.get("served_ap").asDouble(), 3))
                                        .append("</td><td>")
                                        .append(r.get("served_predictions").asLong())
                                        .append("</td><td>")
                                        .append(r.get("promotable").asBoolean() ? "yes" : "no")
                                        .append("</td></tr>"));
        JsonNode ref = data.path("batch_reference");
        if (ref.path("payments").asLong() > 0) {
            html.append("<tr><td>batch LR</td><td>reference</td><td>history</td><td></td><td>")
                    .append(fmt(ref.get("batch_lr_auc").asDouble(), 3))
                    .append("</td><td>")
                    .append(fmt(ref.get("batch_lr_ap").asDouble(), 3))
                    .append("</td><td>")
                    .append(ref.get("payments").asLong())
                    .append("</td><td></td></tr>");
        }
        html.append("</table><p class=\"note\">batch LR: a logistic regression fitted offline to")
                .append(
                        " convergence on the history's served vectors and their chargebacks,"
                                + " scoring")
                .append(" the live payments the trained models scored: what these features could")
                .append(" give a linear model (online AUC on the same payments: ")
                .append(fmt(ref.path("online_auc").asDouble(Double.NaN), 3))
                .append(").</p>");
    }

    private void deadLetterTable() {
        html.append(
                "<h2>Dead"
                    + " letters</h2><table><tr><th>topic</th><th>reason</th><th>records</th></tr>");
        ObjectNode dl = data.putObject("dead_letters");
        Map<String, Map<String, Long>> all = monitor.deadLetters();
        if (all.isEmpty()) {
            html.append("<tr><td colspan=\"3\">none</td></tr>");
        }
        all.forEach(
                (topic, reasons) ->
                        reasons.forEach(
                                (reason, n) -> {
                                    dl.with(topic).put(reason, n);
                                    html.append("<tr><td>")
                                            .append(escape(topic))
                                            .append("</td><td>")
                                            .append(escape(reason))
                                            .append("</td><td>")
                                            .append(n)
                                            .append("</td></tr>");
                                }));
        html.append("</table>");
    }

    private static XYChart xy(String title, String x, String y) {
        XYChart c =
                new XYChartBuilder()
                        .width(520)
                        .height(320)
                        .title(title)
                        .xAxisTitle(x)
                        .yAxisTitle(y)
                        .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        c.getStyler().setMarkerSize(3);
        return c;
    }

    /** A series of the finite points only (a release without a value is left out). */
    private static void add(XYChart c, String name, double[] x, double[] y) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (Double.isFinite(y[i])) {
                xs.add(x[i]);
                ys.add(y[i]);
            }
        }
        if (xs.isEmpty()) {
            xs.add(0.0);
            ys.add(Double.NaN);
        }
        XYSeries s = c.addSeries(name, xs, ys);
        s.setMarker(x.length <= 50 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    private void chart(Chart<?, ?> chart) throws IOException {
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg, VectorGraphicsFormat.SVG);
        String text = svg.toString(StandardCharsets.UTF_8);
        int start = text.indexOf("<svg");
        html.append("<div class=\"chart\">")
                .append(start < 0 ? text : text.substring(start))
                .append("</div>");
    }

    private static String fmt(double v, int digits) {
        return Double.isNaN(v) ? "–" : String.format("%." + digits + "f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
