package dev.tideline.cli;

import dev.tideline.features.FeatureSpec;
import dev.tideline.ops.AppMain;
import dev.tideline.serving.ServingApp;
import dev.tideline.serving.ServingConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tideline serve}: runs one scoring replica against the running local stack or the given
 * cluster; more replicas with the same group id share the partitions.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Run a scoring replica: features.v1 in, one prediction per vector out, exactly once.",
            "Settings: tideline.serving.* (see README); the spec defaults to the built-in one."
        })
final class ServeCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Override
    public Integer call() throws Exception {
        return AppMain.run("tideline-serving", ServingApp.start(config(Settings.load(options))));
    }

    /**
     * The replica's settings from the CLI's; the spec's fingerprint and width default to the
     * built-in spec's.
     */
    static ServingConfig config(Settings settings) {
        Map<String, String> values = settings.engineValues();
        FeatureSpec spec = Settings.featureSpec(values);
        values.putIfAbsent(ServingConfig.SPEC_FINGERPRINT, spec.fingerprint());
        values.putIfAbsent(ServingConfig.INPUT_WIDTH, String.valueOf(spec.size()));
        return new ServingConfig(values);
    }
}
