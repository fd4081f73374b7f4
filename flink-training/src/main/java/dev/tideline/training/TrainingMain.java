package dev.tideline.training;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
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

    public static void main(String[] args) {
        int code = new CommandLine(new TrainingMain()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    protected TrainingConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return TrainingConfig.load(file, environment, overrides);
    }

    @Override
    protected String name() {
        return "tideline-training";
    }

    @Override
    protected int serve(TrainingConfig config) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (env instanceof LocalStreamEnvironment
                && config.getString(TrainingConfig.CHECKPOINT_DIR).isBlank()) {
            config = withLocalCheckpoints(config);
        }
        TrainingJob.build(env, config);
        env.execute("tideline-training " + config.getString(TrainingConfig.MODEL));
        return 0;
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
