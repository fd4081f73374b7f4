package dev.tideline.training;

import dev.tideline.ops.AppMain;
import dev.tideline.ops.OpsServer;
import dev.tideline.training.metrics.MetricsBridge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The training job's entry point. On a cluster: {@code flink run tideline-flink-training-job.jar
 * --config training.properties}. Locally, in a MiniCluster: {@code java -cp
 * 'tideline-flink-training.jar:lib/*' dev.tideline.training.TrainingMain --config ...}.
 */
@Command(
        name = "tideline-training",
        mixinStandardHelpOptions = true,
        description = "Trains the fraud model from served vectors and labels, and publishes it.")
public final class TrainingMain extends AppMain<TrainingConfig> {

    private static final Logger log = LoggerFactory.getLogger(TrainingMain.class);

    public TrainingMain() {
        super("tideline-training", TrainingConfig.DEFINITION, List.of(), TrainingConfig::new);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new TrainingMain()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs the job until it ends. In a MiniCluster of its own (not under {@code flink run}), the
     * process also serves {@code /health} (200 while the job runs) and {@code /metrics} (the job's
     * metrics, through {@link MetricsBridge}) on {@code tideline.training.http.port}, as every
     * Tideline engine does.
     */
    @Override
    protected int serve(TrainingConfig config) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        int port = config.httpPort();
        PrometheusMeterRegistry registry = null;
        if (env instanceof LocalStreamEnvironment) {
            if (config.getString(TrainingConfig.CHECKPOINT_DIR).isBlank()) {
                config = withLocalCheckpoints(config);
            }
            if (port >= 0) {
                registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                env =
                        StreamExecutionEnvironment.createLocalEnvironment(
                                MetricsBridge.configuration(registry));
            }
        }
        TrainingJob.build(env, config);
        String name = "tideline-training " + config.getString(TrainingConfig.MODEL);
        if (registry == null) {
            env.execute(name); // under flink run -d, returns once submitted
            return 0;
        }
        JobClient job = env.executeAsync(name);
        try (OpsServer ops = config.startHttp(registry, path -> health(job)).orElseThrow()) {
            log.info("Health and metrics on port {}", ops.port());
            job.getJobExecutionResult().get();
        }
        return 0;
    }

    /** Ready while the job runs (not while it restarts, fails or has ended). */
    private static OpsServer.Health health(JobClient job) {
        String status;
        try {
            status = job.getJobStatus().get(5, TimeUnit.SECONDS).name();
        } catch (Exception e) {
            status = "UNKNOWN";
        }
        boolean running = status.equals(JobStatus.RUNNING.name());
        return new OpsServer.Health(
                running, "{\"job\":\"" + status + "\",\"ready\":" + running + "}");
    }

    /**
     * A MiniCluster without a checkpoint directory keeps checkpoints in the JobManager's memory,
     * which refuses state over 5 MB (a few tens of thousands of pending transactions): locally they
     * go to {@code <tmp>/tideline-training/<group-id>}, resumed from on the next start. On a
     * cluster, the cluster's configuration decides.
     */
    private static TrainingConfig withLocalCheckpoints(TrainingConfig config) {
        Map<String, String> values = new HashMap<>(config.values());
        Path dir =
                Path.of(
                        System.getProperty("java.io.tmpdir"),
                        "tideline-training",
                        config.getString(TrainingConfig.GROUP_ID));
        values.put(TrainingConfig.CHECKPOINT_DIR, dir.toUri().toString());
        log.info("Checkpoints in {} (resumed from on the next start)", dir);
        return new TrainingConfig(values);
    }
}
