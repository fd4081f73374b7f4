package dev.tideline.simulator;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one simulation draws: its population, its rate of payments (the same in history and live, so
 * that what a model learns from history holds for live traffic), its span of history and how much
 * fraud of each kind it plants.
 *
 * @param seed the seed of every random draw: the same settings and start give the same data
 * @param customers accounts paying at the start
 * @param merchants terminals (merchant ids) they pay at
 * @param ratePerSecond payments per second of event time, on average over a day; the rate follows a
 *     daily rhythm, busy by day and quiet at night
 * @param history event time written before the present, as fast as the pipeline takes it
 * @param fraudRate the share of payments that are fraud, over all scenarios
 * @param mix the share of fraud each scenario contributes (normalised)
 * @param compromise how long a terminal or a card stays compromised
 * @param chargebackMin the shortest delay from a fraud to its chargeback
 * @param chargebackMax the longest
 */
public record SimulationSettings(
        long seed,
        int customers,
        int merchants,
        double ratePerSecond,
        Duration history,
        double fraudRate,
        Map<FraudScenario, Double> mix,
        Duration compromise,
        Duration chargebackMin,
        Duration chargebackMax) {

    public SimulationSettings {
        require(customers >= 10, "--customers must be at least 10, not " + customers);
        require(merchants >= 10, "--merchants must be at least 10, not " + merchants);
        require(ratePerSecond > 0, "--rate must be positive, not " + ratePerSecond);
        require(!history.isNegative(), "--history must not be negative, not " + history);
        require(
                fraudRate >= 0 && fraudRate <= 0.2,
                "--fraud-rate must be between 0 and 0.2, not " + fraudRate);
        require(
                !chargebackMin.isNegative() && chargebackMin.compareTo(chargebackMax) <= 0,
                "chargeback delays must satisfy 0 <= min <= max");
        require(compromise.toMillis() > 0, "the compromise period must be positive");
        mix = Map.copyOf(mix);
    }

    /**
     * The defaults: 2,000 customers and 500 terminals paying 50 times a second, 30 minutes of
     * history, 1% fraud spread over the five scenarios, compromises of ten minutes and chargebacks
     * 20 seconds to 3 minutes after the fraud. The periods are minutes rather than days so that a
     * demo of minutes sees them, and scale together: see {@link #scaledTo(Duration)}.
     */
    public static SimulationSettings defaults() {
        return new SimulationSettings(
                        1L,
                        2_000,
                        500,
                        50,
                        Duration.ofMinutes(30),
                        0.01,
                        defaultMix(),
                        Duration.ofMinutes(10),
                        Duration.ofSeconds(20),
                        Duration.ofMinutes(3))
                .scaledTo(Duration.ofMinutes(30));
    }

    /** Scenario shares of the fraud: each scenario plants about a fifth. */
    public static Map<FraudScenario, Double> defaultMix() {
        Map<FraudScenario, Double> mix = new EnumMap<>(FraudScenario.class);
        mix.put(FraudScenario.AMOUNT_OUTLIER, 0.2);
        mix.put(FraudScenario.COMPROMISED_TERMINAL, 0.15);
        mix.put(FraudScenario.COMPROMISED_CARD, 0.25);
        mix.put(FraudScenario.CARD_TESTING, 0.2);
        mix.put(FraudScenario.NEW_ACCOUNT, 0.2);
        return mix;
    }

    /**
     * The periods scaled to a span of history: compromises last a third of it and chargebacks
     * arrive within a tenth of it (at least a minute for both), so that the history holds whole
     * compromises and the chargebacks of most of its fraud.
     */
    public SimulationSettings scaledTo(Duration span) {
        Duration third = max(span.dividedBy(3), Duration.ofMinutes(1));
        Duration tenth = max(span.dividedBy(10), Duration.ofMinutes(1));
        return new SimulationSettings(
                seed,
                customers,
                merchants,
                ratePerSecond,
                history,
                fraudRate,
                mix,
                third,
                tenth.dividedBy(9),
                tenth);
    }

    /** The label maturity that suits these chargeback delays: twice the longest one. */
    public Duration suggestedMaturity() {
        return chargebackMax.multipliedBy(2);
    }

    /** The share of fraud a scenario contributes, the mix normalised. */
    double share(FraudScenario scenario) {
        double total = mix.values().stream().mapToDouble(Double::doubleValue).sum();
        return total == 0 ? 0 : mix.getOrDefault(scenario, 0.0) / total;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
