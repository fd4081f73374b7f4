package dev.tideline.connectors;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar tideline-connectors.jar}: runs the embedded CDC runner until stopped. */
@Command(
        name = "tideline-cdc",
        mixinStandardHelpOptions = true,
        description =
                "Captures accounts and chargebacks from PostgreSQL into cdc.accounts and"
                        + " cdc.labels.")
public final class CdcMain implements Callable<Integer> {

    @Option(names = "--config", description = "Properties file of tideline.* settings.")
    Path config;

    @Option(names = "-D", description = "A setting, key=value; wins over file and environment.")
    Map<String, String> overrides = new LinkedHashMap<>();

    PrintWriter err = new PrintWriter(System.err, true);

    public static void main(String[] args) {
        System.exit(new CommandLine(new CdcMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        CdcConfig settings;
        try {
            settings = CdcConfig.load(Optional.ofNullable(config), System.getenv(), overrides);
        } catch (ConfigException e) {
            err.println("tideline-cdc: refusing to start: " + e.getMessage());
            return 2;
        }
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
