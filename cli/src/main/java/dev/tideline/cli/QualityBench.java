package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.schemas.model.Evaluation;
import dev.tideline.simulator.FraudScenario;
import dev.tideline.simulator.GroundTruth;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline bench quality}: how good the online models are against what their features could
 * give. It runs the demo's pipeline on the simulator's default scenario mix (history, then live
 * payments), reads back everything a downstream reader sees ({@code features.v1}, {@code
 * cdc.labels}, {@code predictions.v1}), and fits two references offline on exactly the served
 * vectors of the history and their labels: a logistic regression run to convergence and XGBoost's
 * gradient-boosted trees. All three are judged on the same later holdout: the live payments whose
 * chargebacks have all had time to come, scored in service by a trained model. Prints one JSON line
 * last.
 */
@Command(
        name = "quality",
        mixinStandardHelpOptions = true,
        description =
                "Online models against batch references fitted on the same served vectors,"
                        + " on a later holdout; prints one JSON line last.")
final class QualityBench implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(QualityBench.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The batch logistic regression's ridge: only enough to keep separable data finite. */
    static final double RIDGE = 1.0;

    @Option(
            names = "--history",
            description =
                    "Minutes of simulated history: the references' training data, and what the"
                            + " online models learn first (default: ${DEFAULT-VALUE}).")
    int historyMinutes = 30;

    @Option(
            names = "--live",
            description =
                    "Minutes of live payments after it; the holdout is those whose chargebacks"
                            + " have all come by the end (default: ${DEFAULT-VALUE}).")
    int liveMinutes = 10;

    @Option(names = "--seed", description = "The simulation's seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(
            names = "--dump",
            paramLabel = "FILE",
            description =
                    "Also write every labelled example as CSV: txn_id, event_time, fraud, holdout,"
                        + " online score, model version, the fraud's scenario, then the vector's"
                        + " values.")
    Path dump;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A setting of the pipeline's parts, as for tideline demo (for example"
                            + " -Dtideline.training.kind=mlp).")
    Map<String, String> properties = new HashMap<>();

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BenchRuns.require(historyMinutes >= 1, "--history must be at least a minute");
        SimulationSettings sim = BenchRuns.simulation(Duration.ofMinutes(historyMinutes), seed);
        Duration live = Duration.ofMinutes(liveMinutes);
        BenchRuns.require(
                live.compareTo(sim.chargebackMax().plusMinutes(1)) >= 0,
                "--live must be at least a minute longer than the longest chargeback delay ("
                        + sim.chargebackMax()
                        + " with --history "
                        + historyMinutes
                        + ")");
        Map<String, String> values = Settings.load(Optional.empty(), BenchRuns.quiet(properties));

        ServedExamples served;
        GroundTruth truth;
        long liveStart;
        try (Demo demo = Demo.start(values, 1, sim.suggestedMaturity(), null)) {
            demo.simulate(sim, live, null, false);
            Simulator simulator = demo.simulator();
            log.info("Simulating {} of history, then {} live", sim.history(), live);
            BenchRuns.await(
                    () -> simulator.phase() == Simulator.Phase.DONE,
                    Duration.ofMinutes(15).plus(live),
                    simulator,
                    "the simulation did not end within 15 minutes of its live period");
            liveStart = simulator.historyEnd();
            truth = simulator.truth();
            log.info(
                    "Simulation done: {} payments, {} chargebacks; reading back what was served",
                    simulator.counts().payments.get(),
                    simulator.counts().chargebacks.get());
            served =
                    ServedExamples.read(
                            demo.client(),
                            demo.catalog(),
                            simulator.counts().payments.get(),
                            simulator.counts().chargebacks.get(),
                            Duration.ofMinutes(3));
        }
        long matured = liveStart + live.toMillis() - sim.chargebackMax().toMillis();
        ServedExamples.Split split = served.split(liveStart, matured);
        log.info(
                "{} training examples ({} frauds) before {}; holdout of {} ({} frauds), {} live"
                        + " payments scored by the fallback left out",
                split.train().size(),
                split.train().positives(),
                java.time.Instant.ofEpochMilli(liveStart),
                split.holdout().size(),
                split.holdout().positives(),
                split.fallbackExcluded());
        if (split.train().positives() == 0 || split.holdout().positives() == 0) {
            throw new IllegalStateException(
                    "no fraud to judge on: "
                            + split.train().positives()
                            + " in training, "
                            + split.holdout().positives()
                            + " in the holdout");
        }

        float[][] holdoutRows = split.holdout().rows();
        boolean[] holdoutFraud = split.holdout().fraud();
        float[] online = split.holdout().onlineScores();

        long t0 = System.nanoTime();
        BatchLogistic lr = BatchLogistic.fit(split.train().rows(), split.train().fraud(), RIDGE);
        float[] lrScores = lr.score(holdoutRows);
        long lrMs = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        GradientBoosted xgb = GradientBoosted.fit(split.train().rows(), split.train().fraud());
        float[] xgbScores;
        try {
            xgbScores = xgb.score(holdoutRows);
        } finally {
            xgb.dispose();
        }
        long xgbMs = (System.nanoTime() - t0) / 1_000_000;

        if (dump != null) {
            served.dump(dump, liveStart, matured, truth);
        }

        double onlineAuc = Evaluation.auc(online, holdoutFraud);
        double onlineAp = Evaluation.averagePrecision(online, holdoutFraud);
        double lrAuc = Evaluation.auc(lrScores, holdoutFraud);
        double lrAp = Evaluation.averagePrecision(lrScores, holdoutFraud);
        double xgbAuc = Evaluation.auc(xgbScores, holdoutFraud);
        double xgbAp = Evaluation.averagePrecision(xgbScores, holdoutFraud);

        ObjectNode json = JSON.createObjectNode();
        json.put("bench", "quality");
        json.put("examples", split.holdout().size());
        json.put("positives", split.holdout().positives());
        json.put("train_examples", split.train().size());
        json.put("train_positives", split.train().positives());
        json.put("online_auc", round(onlineAuc));
        json.put("online_ap", round(onlineAp));
        json.put("batch_lr_auc", round(lrAuc));
        json.put("batch_lr_ap", round(lrAp));
        json.put("xgb_auc", round(xgbAuc));
        json.put("xgb_ap", round(xgbAp));
        json.put("online_vs_batch_lr_auc", round(onlineAuc - lrAuc));
        json.put("online_vs_batch_lr_ap", round(onlineAp / lrAp));
        ObjectNode scenarios = json.putObject("by_scenario");
        for (FraudScenario s : FraudScenario.values()) {
            boolean[] keep = split.holdout().keep(truth, s);
            ObjectNode row = scenarios.putObject(s.tag());
            row.put("positives", split.holdout().positives(keep));
            row.put("online_auc", round(Evaluation.auc(online, holdoutFraud, keep)));
            row.put("batch_lr_auc", round(Evaluation.auc(lrScores, holdoutFraud, keep)));
            row.put("xgb_auc", round(Evaluation.auc(xgbScores, holdoutFraud, keep)));
        }
        json.put("holdout_fallback_excluded", split.fallbackExcluded());
        json.put("served_versions", split.holdout().versions());
        json.put("batch_lr_iterations", lr.iterations());
        json.put("batch_lr_ms", lrMs);
        json.put("xgb_ms", xgbMs);
        json.put("model_kind", values.getOrDefault("tideline.training.kind", "logistic"));
        json.put("seed", seed);
        json.put("cpus", Runtime.getRuntime().availableProcessors());
        out.println(json);
        out.flush();
        return 0;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 10_000) / 10_000.0;
    }
}
