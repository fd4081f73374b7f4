package dev.tideline.cli;

import dev.tideline.simulator.SimulationSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** What the payments simulator draws, shared by {@code generate} and {@code demo}. */
final class SimulationOptions {

    private static final SimulationSettings DEFAULTS = SimulationSettings.defaults();

    @Option(
            names = "--rate",
            paramLabel = "PER_SECOND",
            description =
                    "Payments per second of event time, in history and live alike (default:"
                            + " ${DEFAULT-VALUE}; the rate follows a daily rhythm around it).")
    double rate = DEFAULTS.ratePerSecond();

    @Option(
            names = "--history",
            paramLabel = "DURATION",
            converter = Durations.class,
            description =
                    "Event time written before the present, as fast as the pipeline takes it"
                            + " (default: 30m). Compromises last a third of it and chargebacks"
                            + " arrive within a tenth of it.")
    Duration history = DEFAULTS.history();

    @Option(names = "--customers", description = "Accounts paying (default: ${DEFAULT-VALUE}).")
    int customers = DEFAULTS.customers();

    @Option(
            names = "--merchants",
            description = "Terminals they pay at (default: ${DEFAULT-VALUE}).")
    int merchants = DEFAULTS.merchants();

    @Option(
            names = "--fraud-rate",
            description = "Share of payments that are fraud (default: ${DEFAULT-VALUE}).")
    double fraudRate = DEFAULTS.fraudRate();

    @Option(
            names = "--seed",
            description =
                    "Seed of every draw; the same seed gives the same data (default:"
                            + " ${DEFAULT-VALUE}).")
    long seed = DEFAULTS.seed();

    SimulationSettings settings() {
        return new SimulationSettings(
                        seed,
                        customers,
                        merchants,
                        rate,
                        history,
                        fraudRate,
                        SimulationSettings.defaultMix(),
                        DEFAULTS.compromise(),
                        DEFAULTS.chargebackMin(),
                        DEFAULTS.chargebackMax())
                .scaledTo(history);
    }
}
