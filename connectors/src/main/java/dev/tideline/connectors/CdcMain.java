package dev.tideline.connectors;

import dev.tideline.ops.AppMain;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar tideline-connectors.jar}: runs the embedded CDC runner until stopped. */
@Command(
        name = "tideline-cdc",
        mixinStandardHelpOptions = true,
        description =
                "Captures accounts and chargebacks from PostgreSQL into cdc.accounts and"
                        + " cdc.labels.")
public final class CdcMain extends AppMain<CdcConfig> {

    public static void main(String[] args) {
        System.exit(new CommandLine(new CdcMain()).execute(args));
    }

    @Override
    protected CdcConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return CdcConfig.load(file, environment, overrides);
    }

    @Override
    protected String name() {
        return "tideline-cdc";
    }

    @Override
    protected int serve(CdcConfig settings) throws Exception {
        return run(settings);
    }

    /**
     * Runs until SIGTERM or a failure (exit 1, for example on schema drift); shared with the CLI.
     */
    public static int run(CdcConfig settings) throws InterruptedException {
        CdcApp app = CdcApp.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "tideline-cdc-shutdown"));
        app.awaitDone(java.time.Duration.ofDays(365_000));
        return app.runner().state() == CdcRunner.State.FAILED ? 1 : 0;
    }
}
