package dev.tideline.connectors;

import dev.tideline.ops.AppMain;
import java.util.List;
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

    public CdcMain() {
        super("tideline-cdc", CdcConfig.DEFINITION, List.of(), CdcConfig::new);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CdcMain()).execute(args));
    }

    /** Runs until SIGTERM (exit 0) or a failure, for example schema drift (exit 1). */
    @Override
    protected int serve(CdcConfig settings) throws InterruptedException {
        return run(name(), CdcApp.start(settings));
    }
}
