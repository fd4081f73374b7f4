package dev.tideline.serving;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar tideline-serving-consumer.jar}: one scoring replica until stopped. */
@Command(
        name = "tideline-serving",
        mixinStandardHelpOptions = true,
        description = "Scores feature vectors into predictions, exactly once.")
public final class ServingMain extends AppMain<ServingConfig> {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServingMain()).execute(args));
    }

    @Override
    protected ServingConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return ServingConfig.load(file, environment, overrides);
    }

    @Override
    protected String name() {
        return "tideline-serving";
    }

    @Override
    protected int serve(ServingConfig settings) throws Exception {
        return run(settings);
    }

    /**
     * Runs until SIGTERM, or until the replica stops on a fatal error (exit 1); shared with the
     * CLI.
     */
    public static int run(ServingConfig settings) throws InterruptedException {
        ServingApp app = ServingApp.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "tideline-serving-shutdown"));
        app.awaitStopped(Duration.ofDays(365_000));
        return 1;
    }
}
