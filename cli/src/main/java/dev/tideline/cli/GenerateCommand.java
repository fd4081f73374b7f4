package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.connectors.SourceDatabase;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.simulator.FraudScenario;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.simulator.Target;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline generate}: the payments simulator against the running local stack or any cluster:
 * history first, then live payments; accounts and chargebacks go into the source database, from
 * where CDC brings them to the pipeline.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Simulate payments: customers and terminals, five planted fraud scenarios.",
            "Writes payments to the transactions topic (Kafka), account rows and chargebacks into"
                    + " the source database (JDBC; CDC brings them to cdc.accounts and cdc.labels):"
                    + " first --history of event time ending now, as fast as it is taken, then"
                    + " live payments at --rate until --duration has passed.",
            "Prints one JSON line last."
        })
final class GenerateCommand implements Callable<Integer> {

    @Mixin CommonOptions options;

    @Mixin SimulationOptions simulation;

    @Option(
            names = "--duration",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "Live payments after the history; 0 runs until Ctrl-C (default: 0).")
    Duration duration = Duration.ZERO;

    @Option(
            names = "--jdbc-url",
            paramLabel = "URL",
            description = "The source database (default: the running local stack's PostgreSQL).")
    String jdbcUrl;

    @Option(names = "--jdbc-user", description = "Its user (default: ${DEFAULT-VALUE}).")
    String jdbcUser = "postgres";

    @Option(names = "--jdbc-password", description = "Its password (default: none).")
    String jdbcPassword = "";

    @Option(
            names = "--migrate",
            description = "Create the source tables first (the connectors' migrations).")
    boolean migrate;

    @Option(
            names = "--ground-truth",
            paramLabel = "FILE",
            description = "Write each payment's truth as JSON lines (txn_id, fraud, scenario).")
    Path groundTruth;

    @Option(
            names = "--accounts-timeout",
            paramLabel = "DURATION",
            converter = Durations.class,
            description =
                    "How long to wait for CDC to bring the accounts to cdc.accounts before payments"
                            + " are written (default: 2m).")
    Duration accountsTimeout = Duration.ofMinutes(2);

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SimulationSettings settings = simulation.settings();
        Settings cli = Settings.load(options);
        String jdbc =
                jdbcUrl != null
                        ? jdbcUrl
                        : cli.stackJdbcUrl()
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "no source database: pass --jdbc-url, or"
                                                                + " start a local stack with"
                                                                + " './tideline stack up'"));
        if (migrate) {
            SourceDatabase.migrate(jdbc, jdbcUser, jdbcPassword);
        }
        TopicCatalog catalog = cli.catalog(cli.registry());
        Simulator simulator =
                Simulator.start(
                        settings,
                        new Target(cli.kafkaClient(), catalog, jdbc, jdbcUser, jdbcPassword),
                        duration,
                        accountsTimeout,
                        groundTruth);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(simulator::close, "tideline-generate-shutdown"));
        simulator.await(Duration.ofDays(365_000));
        Simulator.Counts counts = simulator.counts();
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("generate", simulator.phase() == Simulator.Phase.FAILED ? "failed" : "ok");
        json.put("seed", settings.seed());
        json.put("payments", counts.payments.get());
        json.put("frauds", counts.frauds.get());
        ObjectNode scenarios = json.putObject("frauds_by_scenario");
        for (FraudScenario s : FraudScenario.values()) {
            scenarios.put(s.tag(), counts.byScenario.get(s).get());
        }
        json.put("accounts", counts.accounts.get());
        json.put("chargebacks", counts.chargebacks.get());
        if (simulator.failure() != null) {
            json.put("error", simulator.failure().getMessage());
            spec.commandLine().getErr().println("tideline: " + simulator.failure().getMessage());
        }
        out.println(json);
        out.flush();
        return simulator.phase() == Simulator.Phase.FAILED ? 1 : 0;
    }
}
