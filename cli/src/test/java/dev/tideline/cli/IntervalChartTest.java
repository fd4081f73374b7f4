package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** The commit-interval comparison of {@code bench e2e}: its table, summary and chart. */
class IntervalChartTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ArrayNode runs() {
        ArrayNode runs = JSON.createArrayNode();
        long[][] rows = {{10, 40, 90, 10_000}, {100, 230, 420, 20_000}};
        for (long[] r : rows) {
            ObjectNode o = runs.addObject();
            o.put("bench", "e2e");
            o.put("commit_interval_ms", r[0]);
            o.put("p50_ms", (double) r[1]);
            o.put("p99_ms", (double) r[2]);
            o.put("p999_ms", r[2] + 50.5);
            o.put("features_p50_ms", r[1] - 10.0);
            o.put("features_p99_ms", r[2] - 10.0);
            o.put("serving_p99_ms", 12.0);
            o.put("max_rate_under_100ms", r[2] <= 100 ? 5_000 : 0);
            o.put("max_sustained_rate", r[3]);
            o.put("lost", 0);
            o.put("duplicated", 0);
            o.putArray("steps");
        }
        return runs;
    }

    @Test
    void tableHasOneRowPerIntervalWithItsLatenciesAndRates() {
        String table = IntervalChart.table(runs());

        assertThat(table.lines())
                .hasSize(4)
                .element(2)
                .isEqualTo(
                        "| 10 ms | 40 ms | 90 ms | 141 ms | 30 / 80 ms | 12 ms | 10,000/s |"
                                + " 5,000/s |");
        assertThat(table.lines()).element(3).asString().startsWith("| 100 ms | 230 ms | 420 ms");
    }

    @Test
    void summaryKeepsTheComparedFieldsOnly() {
        ArrayNode summary = IntervalChart.summary(runs());

        assertThat(summary).hasSize(2);
        assertThat(summary.get(1).get("commit_interval_ms").asLong()).isEqualTo(100);
        assertThat(summary.get(1).get("max_sustained_rate").asLong()).isEqualTo(20_000);
        assertThat(summary.get(1).has("steps")).isFalse();
        assertThat(summary.get(1).has("bench")).isFalse();
    }

    @Test
    void chartHasTheLatenciesOnTheLeftAxisAndTheRateOnTheRight() {
        XYChart chart = IntervalChart.chart(runs());

        assertThat(chart.getSeriesMap().keySet())
                .containsExactly("p50", "p99", "p99.9", "highest rate kept up with (right)");
        XYSeries p99 = chart.getSeriesMap().get("p99");
        assertThat(p99.getXData()).containsExactly(10.0, 100.0);
        assertThat(p99.getYData()).containsExactly(90.0, 420.0);
        assertThat(p99.getYAxisGroup()).isZero();
        XYSeries rate = chart.getSeriesMap().get("highest rate kept up with (right)");
        assertThat(rate.getYData()).containsExactly(10_000.0, 20_000.0);
        assertThat(rate.getYAxisGroup()).isEqualTo(1);
        assertThat(chart.getYAxisGroupTitle(1)).isEqualTo("payments per second");
    }

    @Test
    void writesTheChartAsAnSvgFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("charts/intervals.svg");

        IntervalChart.write(runs(), file);

        assertThat(Files.readString(file)).contains("<svg", "</svg>");
    }
}
