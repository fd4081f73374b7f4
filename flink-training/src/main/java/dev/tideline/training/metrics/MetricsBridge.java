package dev.tideline.training.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that mirrors the training job's metrics into a Micrometer registry, for
 * the {@code /metrics} of the training process when it runs the job in a MiniCluster of its own:
 * the job's own counters (the {@code tideline_*} groups of the label join, the learners, the
 * aggregator and the publisher; one series per subtask, tagged {@code subtask}) under the group's
 * name, such as {@code tideline_join_examples_negative}, and the job's restart and checkpoint
 * figures as {@code tideline_training_*}. On a Flink cluster, Flink's own reporters (Prometheus,
 * JMX, ...) report the same metrics under Flink's names.
 *
 * <p>Flink creates reporters from a factory class named in its configuration; {@link
 * #configuration} hands the registry over, one per process.
 */
public final class MetricsBridge implements MetricReporter {

    static final String NAME = "tideline";

    /** The job-level Flink metrics mirrored, by Flink's name. */
    static final Map<String, String> JOB_METRICS =
            Map.of(
                    "numRestarts", "tideline_training_restarts",
                    "numberOfCompletedCheckpoints", "tideline_training_checkpoints_completed",
                    "numberOfFailedCheckpoints", "tideline_training_checkpoints_failed",
                    "lastCheckpointDuration", "tideline_training_last_checkpoint_duration_ms",
                    "lastCheckpointSize", "tideline_training_last_checkpoint_size_bytes");

    private static volatile MeterRegistry installed;

    private final MeterRegistry registry;

    /** The Flink metric behind each mirrored meter: a restarted task's metric replaces the old. */
    private final Map<Meter.Id, Metric> owners = new ConcurrentHashMap<>();

    MetricsBridge(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The Flink settings that install the bridge into {@code registry}, for the MiniCluster that is
     * started with them.
     */
    public static Configuration configuration(MeterRegistry registry) {
        installed = registry;
        Configuration flink = new Configuration();
        flink.set(
                ConfigOptions.key("metrics.reporter." + NAME + ".factory.class")
                        .stringType()
                        .noDefaultValue(),
                Factory.class.getName());
        return flink;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {
        owners.keySet().forEach(registry::remove);
        owners.clear();
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String[] scope = group.getScopeComponents();
        String last = scope.length == 0 ? "" : scope[scope.length - 1];
        Map<String, String> variables = group.getAllVariables();
        String id;
        Tags tags;
        if (last.startsWith("tideline_")) {
            id = last + "_" + name;
            tags = Tags.of("subtask", variables.getOrDefault("<subtask_index>", ""));
        } else if (JOB_METRICS.containsKey(name)
                && variables.containsKey("<job_id>")
                && !variables.containsKey("<subtask_index>")) {
            id = JOB_METRICS.get(name);
            tags = Tags.empty();
        } else {
            return;
        }
        Meter stale = registry.find(id).tags(tags).meter();
        if (stale != null) {
            owners.remove(stale.getId());
            registry.remove(stale);
        }
        Meter meter;
        if (metric instanceof Counter counter) {
            meter =
                    FunctionCounter.builder(id, counter, Counter::getCount)
                            .tags(tags)
                            .register(registry);
        } else if (metric instanceof org.apache.flink.metrics.Gauge<?> gauge) {
            meter = Gauge.builder(id, gauge, MetricsBridge::value).tags(tags).register(registry);
        } else {
            return;
        }
        owners.put(meter.getId(), metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        owners.entrySet()
                .removeIf(
                        e -> {
                            if (e.getValue() != metric) {
                                return false;
                            }
                            registry.remove(e.getKey());
                            return true;
                        });
    }

    private static double value(org.apache.flink.metrics.Gauge<?> gauge) {
        return gauge.getValue() instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Creates the bridge into the registry {@link #configuration} was given. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            MeterRegistry registry = installed;
            if (registry == null) {
                throw new IllegalStateException(
                        "no registry: install the bridge with MetricsBridge.configuration");
            }
            return new MetricsBridge(registry);
        }
    }
}
