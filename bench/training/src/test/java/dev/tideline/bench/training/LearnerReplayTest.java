package dev.tideline.bench.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LearnerReplayTest {

    /**
     * A dump of 40 minutes at 20 payments a second, 2% of them fraud whose first value is shifted:
     * the replayed learners must rank the judged window's frauds first, under each optimiser.
     */
    @Test
    void replaysADumpAndJudgesTheServedScoresOfTheLastMinutes(@TempDir Path dir) throws Exception {
        Path dump = shiftedFraudDump(dir, 2.5);

        for (String optimizer : List.of("adagrad", "adam")) {
            JsonNode json = replay(dump, "-Dtideline.training.optimizer=" + optimizer);
            assertThat(json.get("bench").asText()).isEqualTo("replay");
            assertThat(json.get("optimizer").asText()).isEqualTo(optimizer);
            assertThat(json.get("judged").asInt()).isEqualTo(10 * 60 * 20);
            assertThat(json.get("judged_positives").asInt()).isPositive();
            assertThat(json.get("orderings")).hasSize(2);
            assertThat(json.get("served_auc").asDouble()).as(optimizer).isGreaterThan(0.9);
            assertThat(json.has("by_scenario")).as("a dump without scenarios").isFalse();
        }
    }

    /**
     * The replay's rounds scale the learners' mean delta by the server learning rate, as the job's
     * aggregator does: with 0 the two learners' deltas add up, and the served models differ from
     * those of the plain mean.
     */
    @Test
    void roundsApplyTheServerLearningRate(@TempDir Path dir) throws Exception {
        Path dump = shiftedFraudDump(dir, 0.8);

        JsonNode mean = replay(dump);
        JsonNode summed = replay(dump, "-Dtideline.training.server-learning-rate=0");

        assertThat(summed.get("served_ap").asDouble())
                .isNotEqualTo(mean.get("served_ap").asDouble());
        assertThat(summed.get("served_auc").asDouble()).isGreaterThan(0.6);
    }

    /**
     * A dump that names each fraud's scenario: one shows in the values, the other does not. The
     * replay judges each scenario's frauds against every legitimate payment.
     */
    @Test
    void judgesEachScenarioOnItsOwnFrauds(@TempDir Path dir) throws Exception {
        Random random = new Random(5);
        Path dump =
                dump(
                        dir,
                        true,
                        () -> {
                            boolean fraud = random.nextDouble() < 0.04;
                            boolean hidden = fraud && random.nextBoolean();
                            return new Payment(
                                    fraud,
                                    !fraud ? "" : hidden ? "hidden" : "shown",
                                    fraud && !hidden ? 3 : 0);
                        });

        JsonNode json = replay(dump);
        JsonNode by = json.get("by_scenario");
        assertThat(by.get("shown").get("positives").asInt())
                .isPositive()
                .isLessThan(json.get("judged_positives").asInt());
        assertThat(
                        by.get("shown").get("positives").asInt()
                                + by.get("hidden").get("positives").asInt())
                .isEqualTo(json.get("judged_positives").asInt());
        assertThat(by.get("shown").get("served_auc").asDouble()).isGreaterThan(0.9);
        assertThat(by.get("hidden").get("served_auc").asDouble()).isBetween(0.35, 0.65);
    }

    private static final long START = 1_000_000_000_000L;
    private static final long END = START + 40 * 60_000;

    /** One payment of a dump: its class, its scenario, and how far its first value is shifted. */
    private record Payment(boolean fraud, String scenario, double shift) {}

    /**
     * A dump without scenarios, 2% of its payments fraud with the first value shifted by {@code
     * shift}.
     */
    private static Path shiftedFraudDump(Path dir, double shift) throws Exception {
        Random random = new Random(3);
        return dump(
                dir,
                false,
                () -> {
                    boolean fraud = random.nextDouble() < 0.02;
                    return new Payment(fraud, fraud ? "shown" : "", fraud ? shift : 0);
                });
    }

    /**
     * A dump of 40 minutes at 20 payments a second, four values each drawn from a standard normal,
     * the first shifted as the payment says; with a scenario column or without (older dumps).
     */
    private static Path dump(Path dir, boolean scenarios, Supplier<Payment> payments)
            throws Exception {
        Random random = new Random(7);
        List<String> lines = new ArrayList<>();
        lines.add(
                "txn_id,event_time,fraud,holdout,online_score,model_version,"
                        + (scenarios ? "scenario," : "")
                        + "values...");
        int n = 0;
        for (long t = START; t < END; t += 50) {
            Payment p = payments.get();
            StringBuilder line =
                    new StringBuilder("t" + n++ + "," + t + "," + (p.fraud() ? 1 : 0) + ",0,0.5,1");
            if (scenarios) {
                line.append(',').append(p.scenario());
            }
            for (int j = 0; j < 4; j++) {
                double v = random.nextGaussian() + (j == 0 ? p.shift() : 0);
                line.append(',').append(String.format(Locale.ROOT, "%.4f", v));
            }
            lines.add(line.toString());
        }
        Path dump = dir.resolve(scenarios ? "dump-scenarios.csv" : "dump.csv");
        Files.write(dump, lines);
        return dump;
    }

    /** Replays {@code dump} up to its end in two orderings, with the settings given. */
    private static JsonNode replay(Path dump, String... settings) throws Exception {
        List<String> args = new ArrayList<>();
        args.addAll(
                List.of(
                        "--dump",
                        dump.toString(),
                        "--live-start",
                        String.valueOf(END),
                        "--orderings",
                        "2"));
        args.addAll(List.of(settings));
        return run(args.toArray(String[]::new));
    }

    private static JsonNode run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new LearnerReplay()).execute(args);
        } finally {
            System.setOut(out);
        }
        assertThat(code).isZero();
        String[] printed = bytes.toString(StandardCharsets.UTF_8).trim().split("\n");
        return new ObjectMapper().readTree(printed[printed.length - 1]);
    }
}
