package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tideline demo}: the whole pipeline on the embedded default, learning fraud from a
 * simulated payment stream and scoring it live; a progress display while it runs, then a summary
 * whose last line is JSON and an HTML report.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run Tideline on the embedded default (no Docker), driven by the payments simulator.",
            "Starts the local stack with every pipeline topic, CDC on the stack's PostgreSQL"
                + " (health on tideline.cdc.http.port, 7071), the feature stage (read API on"
                + " tideline.features.http.port, 7070), scoring replicas"
                + " (tideline.serving.http.port, 7072) and the training job in a JVM of its own"
                + " (tideline.training.http.port, 7073); prints READY once every part is up; then"
                + " simulates --history of payments and goes on live. The first models train on the"
                + " history, whose chargebacks arrive within a tenth of it; the label maturity is"
                + " twice the longest chargeback delay.",
            "Stops after --duration, prints a summary whose last line is JSON and writes an HTML"
                    + " report (--report)."
        })
final class DemoCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin CommonOptions options;

    @Mixin SimulationOptions simulation;

    @Option(
            names = "--duration",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "How long to run after READY; 0 runs until Ctrl-C (default: 3m).")
    Duration duration = Duration.ofMinutes(3);

    @Option(names = "--replicas", description = "Scoring replicas (default: ${DEFAULT-VALUE}).")
    int replicas = 1;

    @Option(
            names = "--report",
            paramLabel = "PATH",
            description =
                    "The HTML report (default:"
                            + " tideline-reports/demo-<date>-<time>.html under the working"
                            + " directory).")
    Path report;

    @Option(
            names = "--ground-truth",
            paramLabel = "FILE",
            description = "Also write each payment's truth as JSON lines.")
    Path groundTruth;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (replicas < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1");
        }
        Path stateFile = StackState.defaultFile();
        StackState.refuseIfRunning(stateFile);
        Settings settings = Settings.load(options);
        SimulationSettings sim = simulation.settings();
        Path reportFile =
                report != null
                        ? report
                        : Path.of(
                                "tideline-reports",
                                "demo-"
                                        + LocalDateTime.now()
                                                .format(
                                                        DateTimeFormatter.ofPattern(
                                                                "yyyyMMdd-HHmmss"))
                                        + ".html");

        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicBoolean signalled = new AtomicBoolean();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    signalled.set(true);
                                    stop.countDown();
                                    try {
                                        finished.await(60, TimeUnit.SECONDS);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                "tideline-demo-shutdown"));

        try (Demo demo =
                Demo.start(settings.values(), replicas, sim.suggestedMaturity(), stateFile)) {
            out.println(demo.ready());
            out.flush();
            if (signalled.get()) {
                return 0;
            }
            demo.simulate(sim, Duration.ZERO, groundTruth);
            long started = System.nanoTime();
            String outcome = "ok";
            try (LiveDisplay display = LiveDisplay.open(out, 15_000)) {
                while (!stop.await(500, TimeUnit.MILLISECONDS)) {
                    Simulator simulator = demo.simulator();
                    if (!demo.monitor().isCaughtUp()
                            && simulator.phase() == Simulator.Phase.LIVE
                            && demo.monitor().predicted() >= simulator.historyPayments()) {
                        demo.monitor().caughtUp(System.currentTimeMillis());
                    }
                    display.show(lines(demo, started));
                    if (demo.simulator().phase() == Simulator.Phase.FAILED) {
                        outcome = "failed";
                        break;
                    }
                    if (!duration.isZero() && System.nanoTime() - started >= duration.toNanos()) {
                        break;
                    }
                }
                display.show(lines(demo, started));
            }
            if (signalled.get()) {
                outcome = "stopped";
            }
            demo.simulator().close();
            if (!signalled.get() && !demo.drain(Duration.ofSeconds(60))) {
                log.warn(
                        "not every payment had its prediction a minute after the simulator"
                                + " stopped");
            }
            ObjectNode summary = summary(demo, outcome, started, reportFile);
            long firstPromoted = firstPromoted(demo.monitor());
            demo.monitor().close();
            DemoReport.write(reportFile, demo.monitor(), summary.deepCopy(), firstPromoted);
            demo.close();
            if (demo.simulator().failure() != null) {
                spec.commandLine()
                        .getErr()
                        .println(
                                "tideline: the simulator failed: "
                                        + demo.simulator().failure().getMessage());
            }
            out.println(summary);
            out.flush();
            return outcome.equals("failed") ? 1 : 0;
        } finally {
            finished.countDown();
        }
    }

    static long firstPromoted(DemoMonitor monitor) {
        return monitor.releases().stream()
                .filter(DemoMonitor.Release::promotable)
                .mapToLong(DemoMonitor.Release::version)
                .min()
                .orElse(0);
    }

    private ObjectNode summary(Demo demo, String outcome, long started, Path reportFile) {
        DemoMonitor m = demo.monitor();
        Simulator.Counts counts = demo.simulator().counts();
        List<DemoMonitor.Release> releases = m.releases();
        DemoReport.Scored served = DemoReport.scored(m.graded(), firstPromoted(m), true);
        DemoReport.Scored servedAll = DemoReport.scored(m.graded(), firstPromoted(m), false);
        long[] latencies = m.latencies();
        long[] steady = m.steadyLatencies();
        long sent = counts.payments.get();
        ObjectNode json = JSON.createObjectNode();
        json.put("demo", outcome);
        json.put("duration_s", Math.round((System.nanoTime() - started) / 1e9));
        json.put("events", sent);
        json.put("frauds", counts.frauds.get());
        json.put("vectors", m.vectors.get());
        json.put("labels", m.labels.get());
        json.put("predictions", m.predictionRecords.get());
        json.put("lost", Math.max(0, sent - m.predicted()));
        json.put("duplicated", m.duplicated());
        json.put("models_released", releases.size());
        json.put(
                "models_promoted",
                releases.stream().filter(DemoMonitor.Release::promotable).count());
        json.put("served_version", demo.servedVersion());
        json.put(
                "scored_by_model",
                round(
                        m.predictionRecords.get() == 0
                                ? 0
                                : 1.0 - (double) m.fallbacks.get() / m.predictionRecords.get()));
        json.put("served_predictions", served.size());
        json.put("served_auc", round(served.size() == 0 ? Double.NaN : served.auc()));
        json.put("served_ap", round(served.size() == 0 ? Double.NaN : served.averagePrecision()));
        // Every prediction of a trained model, the history's scored while catching up included.
        json.put("served_predictions_all", servedAll.size());
        json.put("served_auc_all", round(servedAll.size() == 0 ? Double.NaN : servedAll.auc()));
        json.put(
                "served_ap_all",
                round(servedAll.size() == 0 ? Double.NaN : servedAll.averagePrecision()));
        // Live payments sent once the history had been scored; the first ones queue behind it.
        json.put("p50_ms", DemoMonitor.quantile(steady, 0.5));
        json.put("p99_ms", DemoMonitor.quantile(steady, 0.99));
        json.put("p99_ms_from_start", DemoMonitor.quantile(latencies, 0.99));
        json.put("dead_letters", m.deadLetterCount());
        json.put("report", reportFile.toAbsolutePath().toString());
        return json;
    }

    private static List<String> lines(Demo demo, long started) {
        DemoMonitor m = demo.monitor();
        Simulator s = demo.simulator();
        double[] rates = m.rates(5);
        long[] latencies = m.isCaughtUp() ? m.steadyLatencies() : m.latencies();
        List<DemoMonitor.Release> releases = m.releases();
        long promoted = releases.stream().filter(DemoMonitor.Release::promotable).count();
        double lastAuc =
                releases.isEmpty()
                        ? Double.NaN
                        : releases.get(releases.size() - 1)
                                .metrics()
                                .getOrDefault("auc", Double.NaN);
        long records = m.predictionRecords.get();
        DemoReport.Scored served = DemoReport.scored(m.graded(), firstPromoted(m), true);
        long elapsed = (System.nanoTime() - started) / 1_000_000_000L;
        List<String> out = new ArrayList<>();
        out.add(
                String.format(
                        "Tideline demo  %02d:%02d  simulator: %s",
                        elapsed / 60, elapsed % 60, s.phase().name().toLowerCase()));
        out.add(
                String.format(
                        "  payments    %8.1f/s  %,10d sent, %,d frauds",
                        rates[0], s.counts().payments.get(), s.counts().frauds.get()));
        out.add(String.format("  vectors     %8.1f/s  %,10d", rates[1], m.vectors.get()));
        out.add(
                String.format(
                        "  labels      %8.1f/s  %,10d chargebacks", rates[3], m.labels.get()));
        out.add(
                String.format(
                        "  predictions %8.1f/s  %,10d, %.1f%% by a trained model, %.1f%% fallback",
                        rates[2],
                        records,
                        records == 0 ? 0 : 100.0 * (records - m.fallbacks.get()) / records,
                        records == 0 ? 0 : 100.0 * m.fallbacks.get() / records));
        out.add(
                String.format(
                        "  model       %s in service; %d released, %d promoted; last progressive"
                                + " AUC %.3f",
                        demo.servedVersion() > 0 ? "v" + demo.servedVersion() : "none (fallback)",
                        releases.size(),
                        promoted,
                        lastAuc));
        out.add(
                String.format(
                        "  served      AUC %.3f  AP %.3f over %,d live payments a trained model"
                                + " scored",
                        served.size() == 0 ? Double.NaN : served.auc(),
                        served.size() == 0 ? Double.NaN : served.averagePrecision(),
                        served.size()));
        out.add(
                String.format(
                        "  latency     p50 %.0f ms  p99 %.0f ms  (live payments, send → committed"
                                + " prediction%s)",
                        DemoMonitor.quantile(latencies, 0.5),
                        DemoMonitor.quantile(latencies, 0.99),
                        m.isCaughtUp() ? "" : "; the history is still being scored"));
        out.add("  dead letters " + m.deadLetters());
        return out;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * 1000) / 1000.0;
    }
}
