package dev.tideline.training.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class MetricsBridgeTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MetricsBridge bridge = new MetricsBridge(registry);

    @Test
    void mirrorsTheJobsCountersPerSubtaskAndItsRestartsButNotFlinksOtherMetrics() {
        SimpleCounter first = new SimpleCounter();
        SimpleCounter second = new SimpleCounter();
        first.inc(3);
        second.inc(4);
        bridge.notifyOfAddedMetric(first, "examples_negative", operator("tideline_join", 0));
        bridge.notifyOfAddedMetric(second, "examples_negative", operator("tideline_join", 1));
        bridge.notifyOfAddedMetric(new SimpleCounter(), "numRecordsIn", operator("join", 0));
        Gauge<Long> restarts = () -> 2L;
        bridge.notifyOfAddedMetric(restarts, "numRestarts", job());

        assertThat(
                        registry.get("tideline_join_examples_negative")
                                .tag("subtask", "0")
                                .functionCounter()
                                .count())
                .isEqualTo(3);
        assertThat(
                        registry.get("tideline_join_examples_negative")
                                .tag("subtask", "1")
                                .functionCounter()
                                .count())
                .isEqualTo(4);
        assertThat(registry.get("tideline_training_restarts").gauge().value()).isEqualTo(2);
        assertThat(registry.getMeters())
                .as("Flink's own operator metrics stay with Flink's reporters")
                .hasSize(3);
    }

    @Test
    void aRestartedTasksCounterReplacesTheOldOneWhicheverIsReportedFirst() {
        SimpleCounter before = new SimpleCounter();
        SimpleCounter after = new SimpleCounter();
        before.inc(100);
        after.inc(5);
        MetricGroup group = operator("tideline_learner", 0);
        bridge.notifyOfAddedMetric(before, "examples_trained", group);
        bridge.notifyOfAddedMetric(after, "examples_trained", group); // the new attempt's
        bridge.notifyOfRemovedMetric(before, "examples_trained", group); // the old one's end

        assertThat(registry.get("tideline_learner_examples_trained").functionCounter().count())
                .isEqualTo(5);
        bridge.notifyOfRemovedMetric(after, "examples_trained", group);
        assertThat(registry.getMeters()).isEmpty();
    }

    /** An operator's metric group with a user group {@code name}, as the job's operators add. */
    private static MetricGroup operator(String name, int subtask) {
        return group(
                new String[] {"localhost", "taskmanager", "tm", "job", "task", "" + subtask, name},
                Map.of("<job_id>", "j", "<subtask_index>", String.valueOf(subtask)));
    }

    /** The JobManager's metric group of the job. */
    private static MetricGroup job() {
        return group(new String[] {"localhost", "jobmanager", "job"}, Map.of("<job_id>", "j"));
    }

    private static MetricGroup group(String[] scope, Map<String, String> variables) {
        return new UnregisteredMetricsGroup() {
            @Override
            public String[] getScopeComponents() {
                return scope;
            }

            @Override
            public Map<String, String> getAllVariables() {
                return variables;
            }
        };
    }
}
