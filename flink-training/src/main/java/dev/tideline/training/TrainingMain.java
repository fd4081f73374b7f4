package dev.tideline.training;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
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
        TrainingJob.build(env, config);
        env.execute("tideline-training " + config.getString(TrainingConfig.MODEL));
        return 0;
    }
}
