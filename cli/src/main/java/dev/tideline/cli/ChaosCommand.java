package dev.tideline.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tideline chaos}: the pipeline in separate processes under simulated load, faults of every
 * kind injected and each component restarted, then every input counted. Prints one JSON line last;
 * exits 1 when anything was lost, duplicated or seen and then aborted.
 */
@Command(
        name = "chaos",
        mixinStandardHelpOptions = true,
        description =
                "Runs the pipeline in separate processes (3 brokers, 2 feature instances, 2"
                        + " scoring replicas, CDC, training) under load, kills and restarts its"
                        + " parts, and counts every input; prints one JSON line last.")
final class ChaosCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = "--seed",
            description =
                    "Seed of the simulation and of the fault schedule: which kinds come in which"
                            + " order, and which broker or instance each hits (default:"
                            + " ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(
            names = "--duration",
            converter = Durations.class,
            description =
                    "How long to inject faults once load runs: every kind once however short, then"
                            + " kinds drawn at random until it has passed (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration duration = Duration.ofMinutes(5);

    @Option(
            names = "--faults",
            split = ",",
            paramLabel = "KIND",
            description =
                    "The kinds of fault (default: all): broker-kill, broker-pause, features-kill,"
                            + " serving-kill, training-kill, cdc-kill, postgres-restart,"
                            + " all-kill.")
    List<String> faults = new ArrayList<>();

    @Option(names = "--rate", description = "Live payments per second (default: ${DEFAULT-VALUE}).")
    double rate = 20;

    @Option(
            names = "--history",
            converter = Durations.class,
            description =
                    "Simulated history written before the live load (default: ${DEFAULT-VALUE}).")
    Duration history = Duration.ofMinutes(3);

    @Option(
            names = "--work-dir",
            description =
                    "Where the brokers, the stack and the engines keep their data and logs"
                            + " (default: a new directory under the system's temporary one).")
    Path workDir;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BenchRuns.require(rate > 0 && rate <= 1_000, "--rate must be between 0 and 1000");
        BenchRuns.require(!history.isZero(), "--history must be at least a second");
        LinkedHashSet<ChaosRun.Fault> kinds = new LinkedHashSet<>();
        for (String tag : faults) {
            try {
                kinds.add(ChaosRun.Fault.ofTag(tag.trim()));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--faults: " + e.getMessage());
            }
        }
        if (kinds.isEmpty()) {
            kinds.addAll(List.of(ChaosRun.Fault.values()));
        }
        Path dir =
                workDir != null
                        ? Files.createDirectories(workDir)
                        : Files.createTempDirectory("tideline-chaos-");
        ChaosRun.Result result =
                ChaosRun.run(
                        new ChaosRun.Options(
                                seed,
                                duration,
                                List.copyOf(kinds),
                                rate,
                                history,
                                dir,
                                dir.resolve("logs")));
        out.println(json(result));
        out.flush();
        return result.clean() ? 0 : 1;
    }

    /** The run as one JSON object. */
    static ObjectNode json(ChaosRun.Result r) {
        ObjectNode json = JSON.createObjectNode();
        json.put("bench", "chaos");
        json.put("seed", r.seed());
        json.put("events", r.payments());
        json.put("faults", r.faults().size());
        ArrayNode kinds = json.putArray("fault_kinds");
        Map<String, List<Double>> recovery = new LinkedHashMap<>();
        for (ChaosRun.Injected i : r.faults()) {
            recovery.computeIfAbsent(i.fault().tag(), k -> new ArrayList<>())
                    .add(Math.round(i.recoverySeconds() * 10) / 10.0);
        }
        recovery.keySet().forEach(kinds::add);
        json.put("lost", r.lost());
        json.put("duplicated", r.duplicated());
        json.put("max_recovery_s", Math.round(r.maxRecoverySeconds() * 10) / 10.0);
        ObjectNode byKind = json.putObject("recovery_s");
        recovery.forEach(
                (kind, seconds) -> {
                    ArrayNode a = byKind.putArray(kind);
                    seconds.forEach(a::add);
                });
        json.put("vectors_lost", r.vectorsLost());
        json.put("vectors_duplicated", r.vectorsDuplicated());
        json.put("predictions_lost", r.predictionsLost());
        json.put("predictions_duplicated", r.predictionsDuplicated());
        json.put("chargebacks_committed", r.chargebacksCommitted());
        json.put("chargebacks_missing", r.chargebacksMissing());
        json.put("model_versions_ok", r.modelVersionProblems().isEmpty());
        r.modelVersionProblems().forEach(p -> json.withArray("model_version_problems").add(p));
        json.put("concurrently_seen", r.concurrentlySeen());
        json.put("seen_then_aborted", r.seenThenAborted());
        json.put("seconds", Math.round(r.seconds()));
        json.put("cpus", Runtime.getRuntime().availableProcessors());
        return json;
    }
}
