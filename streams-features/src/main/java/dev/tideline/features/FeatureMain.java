package dev.tideline.features;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar tideline-streams-features.jar}: runs one feature-stage instance until stopped.
 */
@Command(
        name = "tideline-features",
        mixinStandardHelpOptions = true,
        description =
                "Runs the feature stage: transactions in, one feature vector per transaction out.")
public final class FeatureMain extends AppMain<FeatureConfig> {

    private static final Logger log = LoggerFactory.getLogger(FeatureMain.class);

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeatureMain()).execute(args));
    }

    @Override
    protected FeatureConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        FeatureConfig settings = FeatureConfig.load(file, environment, overrides);
        settings.spec();
        return settings;
    }

    @Override
    protected boolean isBadSettings(RuntimeException e) {
        return super.isBadSettings(e) || e instanceof InvalidSpecException;
    }

    @Override
    protected String name() {
        return "tideline-features";
    }

    @Override
    protected int serve(FeatureConfig settings) throws Exception {
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
