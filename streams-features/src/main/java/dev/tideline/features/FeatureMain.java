package dev.tideline.features;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    public FeatureMain() {
        super(
                "tideline-features",
                FeatureConfig.DEFINITION,
                List.of(FeatureConfig.STREAMS_PREFIX),
                FeatureConfig::new);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeatureMain()).execute(args));
    }

    /** The settings, with the feature spec parsed: an invalid spec refuses start-up too. */
    @Override
    public FeatureConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        FeatureConfig settings = super.load(file, environment, overrides);
        settings.spec();
        return settings;
    }

    @Override
    protected boolean isBadSettings(RuntimeException e) {
        return super.isBadSettings(e) || e instanceof InvalidSpecException;
    }

    /** Runs until SIGTERM or the Streams client stops (exit 1 when it stopped in error). */
    @Override
    protected int serve(FeatureConfig settings) throws InterruptedException {
        return run(name(), FeatureApp.start(settings));
    }
}
