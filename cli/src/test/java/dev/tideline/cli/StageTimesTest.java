package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The feature stage's commit timings over a phase, per commit. */
class StageTimesTest {

    @Test
    void describesTheTimeOfEachCommitStepPerCommitOverThePhase() {
        Map<String, Double> before =
                Map.of(
                        "commit-total",
                        100.0,
                        "flush-time-ns-total",
                        1e9,
                        "commit-latency-max",
                        5.0,
                        "record-retry-total",
                        3.0);
        Map<String, Double> after =
                Map.of(
                        "commit-total",
                        300.0,
                        "flush-time-ns-total",
                        1e9 + 200 * 4e6,
                        "txn-commit-time-ns-total",
                        200 * 2.5e6,
                        "commit-latency-max",
                        42.0,
                        "max commit-ratio",
                        0.25,
                        "record-send-total",
                        5000.0,
                        "record-retry-total",
                        10.0);

        String text = StageTimes.describe(before, after);

        assertThat(text)
                .startsWith(
                        "200 commits, flush 4.00 ms, txn-send-offsets 0.00 ms,"
                                + " txn-commit 2.50 ms")
                .contains(
                        "record-send-total 5000, record-retry-total 7",
                        "longest commit in the last 30 s 42 ms",
                        "max commit-ratio 0.25");
    }
}
