package dev.tideline.cli;

import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.ops.AppMain;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tideline features}: runs one feature-stage instance against the running local stack or the
 * given cluster, until Ctrl-C or SIGTERM. Start it again elsewhere with the same application id to
 * share the partitions.
 */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        description = {
            "Run the feature stage (Kafka Streams): one feature vector per transaction.",
            "Settings: tideline.features.* (see README), e.g. -D"
                    + " tideline.features.http.port=7071."
        })
final class FeaturesCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Override
    public Integer call() throws Exception {
        return AppMain.run("tideline-features", FeatureApp.start(config(Settings.load(options))));
    }

    /** The feature stage's settings from the CLI's: addresses default to the local stack's. */
    static FeatureConfig config(Settings settings) {
        Map<String, String> values = settings.engineValues();
        return new FeatureConfig(values);
    }
}
