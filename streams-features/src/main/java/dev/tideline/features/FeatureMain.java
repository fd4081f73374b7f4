package dev.tideline.features;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar tideline-streams-features.jar}: runs one feature-stage instance until stopped.
 */
@Command(
        name = "tideline-features",
        mixinStandardHelpOptions = true,
        description =
                "Runs the feature stage: transactions in, one feature vector per transaction out.")
public final class FeatureMain implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(FeatureMain.class);

    @Option(names = "--config", description = "Properties file of tideline.* settings.")
    Path config;

    @Option(names = "-D", description = "A setting, key=value; wins over file and environment.")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** Where refusals are written; stderr unless a test replaces it. */
    PrintWriter err = new PrintWriter(System.err, true);

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeatureMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        FeatureConfig settings;
        try {
            settings = FeatureConfig.load(Optional.ofNullable(config), System.getenv(), overrides);
            settings.spec();
        } catch (ConfigException | InvalidSpecException e) {
            err.println("tideline-features: refusing to start: " + e.getMessage());
            return 2;
        }
        return run(settings);
    }

    /** Runs until SIGTERM or the Streams client stops; shared with the CLI's subcommand. */
    public static int run(FeatureConfig settings) throws InterruptedException {
        FeatureApp app = FeatureApp.start(settings);
        Thread hook = new Thread(app::close, "tideline-features-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        app.awaitStop();
        log.info("Feature stage stopped");
        return 0;
    }
}
