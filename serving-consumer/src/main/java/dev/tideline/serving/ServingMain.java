package dev.tideline.serving;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar tideline-serving-consumer.jar}: one scoring replica until stopped. */
@Command(
        name = "tideline-serving",
        mixinStandardHelpOptions = true,
        description = "Scores feature vectors into predictions, exactly once.")
public final class ServingMain implements Callable<Integer> {

    @Option(names = "--config", description = "Properties file of tideline.* settings.")
    Path config;

    @Option(names = "-D", description = "A setting, key=value; wins over file and environment.")
    Map<String, String> overrides = new LinkedHashMap<>();

    PrintWriter err = new PrintWriter(System.err, true);

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServingMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ServingConfig settings;
        try {
            settings = ServingConfig.load(Optional.ofNullable(config), System.getenv(), overrides);
        } catch (ConfigException e) {
            err.println("tideline-serving: refusing to start: " + e.getMessage());
            return 2;
        }
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
