package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.model.Evaluation;
import dev.tideline.simulator.FraudScenario;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import dev.tideline.testkit.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on the real local stack, driven by the simulator: accounts and chargebacks
 * through PostgreSQL and CDC, payments through the feature stage (entity and merchant features),
 * the training job in its own JVM and a scoring replica. Every payment has exactly one vector and
 * one prediction; models are trained from the history, published and swapped in, and they separate
 * the planted fraud from the rest.
 */
@Tag("integration")
class PipelineIT {

    private static final Logger log = LoggerFactory.getLogger(PipelineIT.class);

    @Test
    void learnsThePlantedFraudFromTheStreamAndScoresEveryPaymentOnce(@TempDir Path dir)
            throws Exception {
        Map<String, String> values = new HashMap<>();
        values.put("tideline.stack.work-dir", dir.resolve("stack").toString());
        SimulationSettings simulation = SimulationSettings.defaults();

        try (Demo demo =
                Demo.start(BenchRuns.quiet(values), 1, simulation.suggestedMaturity(), null)) {
            demo.simulate(simulation, Duration.ZERO, null);
            DemoMonitor monitor = demo.monitor();
            Simulator simulator = demo.simulator();
            // Two promoted releases swapped in, then a minute and a half of live payments
            // scored by trained models.
            await().atMost(Duration.ofMinutes(5))
                    .failFast(
                            "the simulator failed",
                            () -> simulator.phase() == Simulator.Phase.FAILED)
                    .until(
                            () ->
                                    monitor.releases().stream()
                                                            .filter(DemoMonitor.Release::promotable)
                                                            .count()
                                                    >= 2
                                            && demo.servedVersion() >= secondPromoted(monitor));
            long from = System.nanoTime();
            await().atMost(Duration.ofMinutes(3))
                    .until(() -> System.nanoTime() - from >= Duration.ofSeconds(90).toNanos());
            simulator.close();
            assertThat(demo.drain(Duration.ofMinutes(2)))
                    .as(
                            () ->
                                    "every payment predicted two minutes after the simulator"
                                            + " stopped: "
                                            + demo.progress())
                    .isTrue();

            long sent = simulator.counts().payments.get();
            TopicCatalog catalog = demo.catalog();
            ExactlyOnce.assertOneVectorAndOnePredictionEach(demo.client(), catalog, sent);
            Map<String, Integer> predictions =
                    Topics.countBy(
                            demo.client(),
                            catalog.predictions().name(),
                            catalog.predictions().valueSerde().deserializer(),
                            Prediction::getTxnId);
            assertThat(predictions.keySet())
                    .allMatch(txn -> simulator.truth().of(txn) != null, "a simulated payment");

            List<DemoMonitor.Release> releases = monitor.releases();
            for (int i = 0; i < releases.size(); i++) {
                assertThat(releases.get(i).version()).as("release %d", i).isEqualTo(i + 1L);
            }
            DemoReport.Scored served =
                    DemoReport.scored(monitor.graded(), DemoCommand.firstPromoted(monitor), true);
            log.info(
                    "{} payments, {} releases, served AUC {} AP {} over {} live payments",
                    sent,
                    releases.size(),
                    served.auc(),
                    served.averagePrecision(),
                    served.size());
            for (FraudScenario scenario : FraudScenario.values()) {
                DemoReport.Scored only = served.of(scenario);
                log.info("{}: {} frauds, AUC {}", scenario.tag(), only.frauds(), only.auc());
            }
            assertThat(served.size()).isGreaterThan(2_000);
            // A compromised terminal shows only in its merchant's chargebacks, which come 20 s to
            // 3 min after its first frauds: whether the live minute and a half holds the start of
            // a compromise (a cluster of dozens of frauds the models cannot know yet) or none is
            // chance. The other scenarios show in the payment and its account's history.
            // Against what these vectors could give: a logistic regression fitted offline to
            // convergence on the history's served vectors and their chargebacks, judged on the
            // same live payments by the same truth: those scored from the second promoted release
            // on, once training has read the history's backlog (bench quality judges the whole
            // live period, the first models included).
            ServedExamples examples =
                    ServedExamples.read(
                            demo.client(),
                            catalog,
                            sent,
                            simulator.counts().chargebacks.get(),
                            Duration.ofMinutes(2));
            ServedExamples.Split split =
                    examples.split(simulator.historyEnd(), Long.MAX_VALUE, secondPromoted(monitor));
            BatchLogistic reference =
                    BatchLogistic.fit(
                            split.train().rows(), split.train().fraud(), QualityBench.RIDGE);
            boolean[] planted = split.holdout().planted(simulator.truth());
            float[] online = split.holdout().onlineScores();
            float[] batch = reference.score(split.holdout().rows());
            boolean[] terminal =
                    split.holdout()
                            .plantedAs(simulator.truth(), FraudScenario.COMPROMISED_TERMINAL);
            log.info(
                    "Live payments scored by a trained model: {} ({} frauds); online AUC {}, batch"
                            + " logistic regression {}; on the {} frauds at compromised terminals"
                            + " alone: online {}, batch {}",
                    planted.length,
                    count(planted),
                    Evaluation.auc(online, planted),
                    Evaluation.auc(batch, planted),
                    count(terminal),
                    Evaluation.auc(online, planted, legitOr(planted, terminal)),
                    Evaluation.auc(batch, planted, legitOr(planted, terminal)));
            // Frauds at compromised terminals are left out of the comparison: those of the live
            // minute and a half come from one or two terminals, so they count as one or two
            // observations, not dozens, and the standard error below would take them for dozens.
            // Nor do these vectors separate them linearly: in bench quality the batch logistic
            // regression ranked one such cluster at an AUC of 0.25 while XGBoost reached 0.93,
            // and in one CI run the online model ranked a cluster at 0.56 where the batch one
            // ranked it near 1. README, "Model quality", has the figures.
            boolean[] keep = new boolean[planted.length];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = !terminal[i];
            }
            double onlineAuc = Evaluation.auc(online, planted, keep);
            double batchAuc = Evaluation.auc(batch, planted, keep);
            long frauds =
                    IntStream.range(0, keep.length).filter(i -> keep[i] && planted[i]).count();
            log.info(
                    "Without them: {} frauds; online AUC {}, batch logistic regression {}",
                    frauds,
                    onlineAuc,
                    batchAuc);
            // The live minute and a half holds a few dozen frauds, on which one fraud ranked low
            // moves an AUC by 0.03: the bound is 0.05, or 2.5 standard errors of the difference
            // when the sample cannot tell 0.05 from noise.
            long legit = planted.length - count(planted);
            double noise =
                    Math.hypot(
                            aucStandardError(onlineAuc, frauds, legit),
                            aucStandardError(batchAuc, frauds, legit));
            assertThat(onlineAuc)
                    .as(
                            "online AUC against the batch reference's %s (%s frauds, standard"
                                    + " error of the difference %s), frauds at compromised"
                                    + " terminals left out",
                            batchAuc, frauds, noise)
                    .isGreaterThanOrEqualTo(batchAuc - Math.max(0.05, 2.5 * noise));

            DemoReport.Scored own = served.without(FraudScenario.COMPROMISED_TERMINAL);
            assertThat(own.auc())
                    .as(
                            "AUC of the live payments scored by a trained model, but for frauds at"
                                    + " compromised terminals")
                    .isGreaterThanOrEqualTo(0.85);
        }
    }

    private static long count(boolean[] flags) {
        return IntStream.range(0, flags.length).filter(i -> flags[i]).count();
    }

    /** Every legitimate example, and the frauds {@code of} marks. */
    private static boolean[] legitOr(boolean[] planted, boolean[] of) {
        boolean[] keep = new boolean[planted.length];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = !planted[i] || of[i];
        }
        return keep;
    }

    /** Hanley and McNeil's (1982) standard error of an AUC on this many of each class. */
    static double aucStandardError(double auc, long positives, long negatives) {
        double q1 = auc / (2 - auc);
        double q2 = 2 * auc * auc / (1 + auc);
        double a2 = auc * auc;
        double variance =
                (auc * (1 - auc) + (positives - 1) * (q1 - a2) + (negatives - 1) * (q2 - a2))
                        / ((double) positives * negatives);
        return Math.sqrt(Math.max(0, variance));
    }

    private static long secondPromoted(DemoMonitor monitor) {
        return monitor.releases().stream()
                .filter(DemoMonitor.Release::promotable)
                .mapToLong(DemoMonitor.Release::version)
                .sorted()
                .skip(1)
                .findFirst()
                .orElse(Long.MAX_VALUE);
    }
}
