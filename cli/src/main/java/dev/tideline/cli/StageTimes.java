package dev.tideline.cli;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Where a Kafka Streams stage's commits spend their time, from the client's cumulative metrics read
 * before and after a phase: commits per second and, per commit, the time in the producer's flush,
 * in sending the offsets and in committing the transaction, the longest commit, and how many of the
 * producer's records were sent and retried.
 */
final class StageTimes {

    private static final String[] TOTALS = {
        "flush-time-ns-total",
        "txn-send-offsets-time-ns-total",
        "txn-commit-time-ns-total",
        "txn-begin-time-ns-total",
    };

    /** Producer counts reported over the phase: a retried batch waited out a backoff. */
    private static final String[] COUNTS = {"record-send-total", "record-retry-total"};

    /** The producer metrics summed over the stage's threads. */
    private static final Set<String> PRODUCER_SUMS =
            Stream.concat(Arrays.stream(TOTALS), Arrays.stream(COUNTS))
                    .collect(Collectors.toUnmodifiableSet());

    private StageTimes() {}

    /** The cumulative totals summed over the stage's threads, and each thread's commit count. */
    static Map<String, Double> read(KafkaStreams streams) {
        Map<String, Double> out = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName id = e.getKey();
            Object v = e.getValue().metricValue();
            if (!(v instanceof Number n) || Double.isNaN(n.doubleValue())) {
                continue;
            }
            String name = id.name();
            if (id.group().equals("producer-metrics")) {
                if (PRODUCER_SUMS.contains(name)) {
                    out.merge(name, n.doubleValue(), Double::sum);
                }
            } else if (id.group().equals("stream-thread-metrics")) {
                if (name.equals("commit-total")) {
                    out.merge("commit-total", n.doubleValue(), Double::sum);
                } else if (name.equals("commit-latency-max")) {
                    out.merge("commit-latency-max", n.doubleValue(), Math::max);
                } else if (name.endsWith("-ratio")) {
                    out.merge("max " + name, n.doubleValue(), Math::max);
                }
            }
        }
        return out;
    }

    /** What happened between two readings, per commit. */
    static String describe(Map<String, Double> before, Map<String, Double> after) {
        double commits =
                after.getOrDefault("commit-total", 0.0) - before.getOrDefault("commit-total", 0.0);
        StringBuilder sb = new StringBuilder(String.format("%.0f commits", commits));
        if (commits > 0) {
            for (String total : TOTALS) {
                double ns = after.getOrDefault(total, 0.0) - before.getOrDefault(total, 0.0);
                sb.append(
                        String.format(
                                ", %s %.2f ms",
                                total.replace("-time-ns-total", ""), ns / commits / 1e6));
            }
        }
        sb.append(" per commit");
        for (String count : COUNTS) {
            sb.append(
                    String.format(
                            ", %s %.0f",
                            count,
                            after.getOrDefault(count, 0.0) - before.getOrDefault(count, 0.0)));
        }
        sb.append(
                String.format(
                        "; longest commit in the last 30 s %.0f ms",
                        after.getOrDefault("commit-latency-max", Double.NaN)));
        after.forEach(
                (k, v) -> {
                    if (k.startsWith("max ")) {
                        sb.append(String.format(", %s %.2f", k, v));
                    }
                });
        return sb.toString();
    }
}
