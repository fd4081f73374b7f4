package dev.tideline.cli;

import dev.tideline.connectors.CdcApp;
import dev.tideline.connectors.CdcConfig;
import dev.tideline.ops.AppMain;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tideline cdc}: runs the embedded CDC runner against the local stack's PostgreSQL (or the
 * given database) until Ctrl-C or SIGTERM.
 */
@Command(
        name = "cdc",
        mixinStandardHelpOptions = true,
        description = {
            "Capture accounts and chargebacks from PostgreSQL into cdc.accounts and cdc.labels",
            "(Debezium, embedded). Settings: tideline.cdc.* (see README)."
        })
final class CdcCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Override
    public Integer call() throws Exception {
        return AppMain.run("tideline-cdc", CdcApp.start(config(Settings.load(options), null)));
    }

    /** The runner's settings from the CLI's; addresses default to the local stack's. */
    static CdcConfig config(Settings settings, String stackJdbcUrl) {
        Map<String, String> values = settings.engineValues();
        String jdbc = stackJdbcUrl != null ? stackJdbcUrl : settings.stackJdbcUrl().orElse(null);
        if (jdbc != null) {
            values.putIfAbsent(CdcConfig.JDBC_URL, jdbc);
        }
        return new CdcConfig(values);
    }
}
