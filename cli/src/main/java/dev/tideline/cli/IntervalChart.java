package dev.tideline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.VectorGraphicsEncoder.VectorGraphicsFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The trade-off of the feature stage's commit interval, from one {@code bench e2e} run per
 * interval: a Markdown table and an SVG chart of latency (left axis) and the highest rate kept up
 * with (right axis) by interval.
 */
final class IntervalChart {

    private static final ObjectMapper JSON = new ObjectMapper();

    private IntervalChart() {}

    /** Each run's interval, latencies and rates, the fields the table and the chart show. */
    static ArrayNode summary(ArrayNode runs) {
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode r : runs) {
            ObjectNode o = out.addObject();
            for (String key :
                    List.of(
                            "commit_interval_ms",
                            "p50_ms",
                            "p99_ms",
                            "p999_ms",
                            "features_p50_ms",
                            "features_p99_ms",
                            "serving_p99_ms",
                            "max_rate_under_100ms",
                            "max_sustained_rate",
                            "lost",
                            "duplicated")) {
                o.set(key, r.get(key));
            }
        }
        return out;
    }

    static String table(ArrayNode runs) {
        StringBuilder t =
                new StringBuilder(
                        "| commit interval | p50 | p99 | p99.9 | features p50 / p99 | serving p99 |"
                                + " highest rate kept up with | under 100 ms at p99 |\n"
                                + "|---|---|---|---|---|---|---|---|\n");
        for (JsonNode r : runs) {
            t.append(
                    String.format(
                            "| %d ms | %s ms | %s ms | %s ms | %s / %s ms | %s ms | %s/s | %s/s"
                                    + " |%n",
                            r.get("commit_interval_ms").asLong(),
                            ms(r, "p50_ms"),
                            ms(r, "p99_ms"),
                            ms(r, "p999_ms"),
                            ms(r, "features_p50_ms"),
                            ms(r, "features_p99_ms"),
                            ms(r, "serving_p99_ms"),
                            String.format("%,d", r.get("max_sustained_rate").asLong()),
                            String.format("%,d", r.get("max_rate_under_100ms").asLong())));
        }
        return t.toString();
    }

    private static String ms(JsonNode r, String key) {
        return String.format("%.0f", r.get(key).asDouble());
    }

    static void write(ArrayNode runs, Path file) throws IOException {
        XYChart c = chart(runs);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream svg = Files.newOutputStream(file)) {
            VectorGraphicsEncoder.saveVectorGraphic(c, svg, VectorGraphicsFormat.SVG);
        }
    }

    /** Latency by interval on the left axis (group 0), the highest rate on the right (group 1). */
    static XYChart chart(ArrayNode runs) {
        XYChart c =
                new XYChartBuilder()
                        .width(640)
                        .height(440)
                        .title("bench e2e: latency and highest rate by commit interval")
                        .xAxisTitle("feature stage commit interval (ms)")
                        .yAxisTitle("send → committed prediction (ms)")
                        .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setMarkerSize(6);
        series(c, runs, "p50", "p50_ms", 0);
        series(c, runs, "p99", "p99_ms", 0);
        series(c, runs, "p99.9", "p999_ms", 0);
        series(c, runs, "highest rate kept up with (right)", "max_sustained_rate", 1);
        c.setYAxisGroupTitle(1, "payments per second");
        c.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        return c;
    }

    private static void series(XYChart c, ArrayNode runs, String name, String key, int group) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (JsonNode r : runs) {
            double v = r.get(key).asDouble();
            if (v >= 0) {
                x.add(r.get("commit_interval_ms").asDouble());
                y.add(v);
            }
        }
        if (x.isEmpty()) {
            return;
        }
        XYSeries s = c.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setYAxisGroup(group);
    }
}
