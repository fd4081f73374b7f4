package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.testkit.Topics;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built {@code ./tideline} launcher, run as separate processes the way a person runs it. */
@Tag("integration")
class TidelineCliIT {

    private static final Pattern READY =
            Pattern.compile(
                    "READY bootstrap=(\\S+:\\d+) registry=(http://\\S+/apis/ccompat/v7)"
                            + " jdbc=(jdbc:postgresql://\\S+)");
    private static final Pattern DEMO_READY =
            Pattern.compile(
                    "READY bootstrap=(\\S+:\\d+) registry=(http://\\S+/apis/ccompat/v7)"
                            + " jdbc=(jdbc:postgresql://\\S+) .*training-pid=\\d+");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path temp;
    private Path stateDir;
    private Path stackDir;
    private Process stack;

    /** One finished command: exit status, standard output lines, standard error. */
    record Run(int exit, List<String> out, String err) {}

    @BeforeEach
    void setUp() {
        stateDir = temp.resolve("state");
        stackDir = temp.resolve("stack");
    }

    @AfterEach
    void stopStack() throws Exception {
        if (stack != null && stack.isAlive()) {
            stack.destroy();
            stack.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private ProcessBuilder tideline(String... args) {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(System.getProperty("tideline.launcher", "../tideline"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("TIDELINE_STATE_DIR", stateDir.toString());
        return pb;
    }

    private Run run(String... args) throws Exception {
        Path out = Files.createTempFile(temp, "out", ".txt");
        Path err = Files.createTempFile(temp, "err", ".txt");
        Process p =
                tideline(args)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS))
                .as("tideline %s finished", List.of(args))
                .isTrue();
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err));
    }

    /** Starts {@code stack up} and returns its READY line's groups; stdout must hold only it. */
    private Matcher stackUp() throws Exception {
        stack =
                tideline("stack", "up", "-D", "tideline.stack.work-dir=" + stackDir)
                        .redirectError(temp.resolve("stack.err").toFile())
                        .start();
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(stack.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ZERO)
                .failFast("stack up exited", () -> !stack.isAlive())
                .until(
                        () -> {
                            String line = out.readLine();
                            if (line != null) {
                                lines.add(line);
                            }
                            return line != null && line.startsWith("READY");
                        });
        assertThat(lines).as("stdout before READY").hasSize(1);
        Matcher ready = READY.matcher(lines.get(0));
        assertThat(ready.matches()).as(lines.get(0)).isTrue();
        return ready;
    }

    @Test
    void stackUpProduceAndTailWorkEndToEnd() throws Exception {
        Matcher ready = stackUp();
        assertThat(stateDir.resolve("local-stack.properties")).exists();

        Path input = temp.resolve("transactions.jsonl");
        Files.write(
                input,
                List.of(
                        "{\"txn_id\":\"t1\",\"entity_id\":\"a1\",\"merchant_id\":\"m1\",\"amount_minor\":1250,"
                            + "\"currency\":\"EUR\",\"country\":\"FR\",\"channel\":\"CONTACTLESS\","
                            + "\"event_time\":\"2026-11-23T10:15:30.123Z\"}",
                        "",
                        "{\"txn_id\":\"t2\",\"entity_id\":\"a2\",\"merchant_id\":\"m1\",\"amount_minor\":990,"
                            + "\"currency\":\"USD\",\"country\":\"US\",\"channel\":\"ECOMMERCE\","
                            + "\"event_time\":1795428931000}",
                        "{\"txn_id\":\"t3\",\"entity_id\":\"a1\",\"merchant_id\":\"m2\",\"amount_minor\":12,"
                            + "\"currency\":\"EUR\",\"country\":\"FR\",\"channel\":\"ATM\","
                            + "\"event_time\":1795428932000,\"tip\":1}",
                        "{\"txn_id\":\"t4\",\"entity_id\":\"a3\",\"merchant_id\":\"m2\",\"amount_minor\":7,"
                            + "\"currency\":\"EUR\",\"country\":\"FR\",\"channel\":\"ATM\","
                            + "\"event_time\":1795428933000}"));
        // Defaults come from the state file; the addresses are passed here only once, to prove
        // that flags work too.
        Run produced =
                run(
                        "produce",
                        "--topic",
                        "payments.transactions.v1",
                        "--file",
                        input.toString(),
                        "--on-error",
                        "skip",
                        "--bootstrap",
                        ready.group(1),
                        "--registry",
                        ready.group(2));
        assertThat(produced.exit()).as(produced.err()).isZero();
        assertThat(produced.err())
                .contains("line 4: $: unknown field [tip] for Transaction")
                .contains("produced 3 records to payments.transactions.v1 (1 bad lines skipped)");

        Path bad = temp.resolve("bad.jsonl");
        Files.write(
                bad,
                List.of(
                        "{\"txn_id\":\"t9\",\"entity_id\":\"a9\",\"merchant_id\":\"m1\",\"amount_minor\":1,"
                            + "\"currency\":\"EUR\",\"country\":\"FR\",\"channel\":\"ATM\",\"event_time\":0}",
                        "{\"txn_id\":\"t10\",\"entity_id\":\"a9\"}"));
        Run refused =
                run("produce", "--topic", "payments.transactions.v1", "--file", bad.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err())
                .contains("line 2: $.merchant_id: missing required field")
                .contains("aborted: 1 records of this batch were not written");

        Run tailed =
                run(
                        "tail",
                        "--topic",
                        "payments.transactions.v1",
                        "--from-beginning",
                        "--max",
                        "3",
                        "--timeout",
                        "60");
        assertThat(tailed.exit()).as(tailed.err()).isZero();
        Map<String, JsonNode> byTxn =
                tailed.out().stream()
                        .map(TidelineCliIT::parse)
                        .collect(Collectors.toMap(n -> n.get("txn_id").asText(), n -> n));
        assertThat(byTxn).containsOnlyKeys("t1", "t2", "t4");
        assertThat(byTxn.get("t1").get("event_time").asText())
                .isEqualTo("2026-11-23T10:15:30.123Z");
        assertThat(byTxn.get("t2").get("event_time").asText()).isEqualTo("2026-11-23T10:15:31Z");
        assertThat(byTxn.get("t2").get("amount_minor").asLong()).isEqualTo(990L);
        assertThat(byTxn.get("t4").get("channel").asText()).isEqualTo("ATM");

        // Nothing of the aborted batch is visible: a fourth record never arrives.
        Run more =
                run(
                        "tail",
                        "--topic",
                        "payments.transactions.v1",
                        "--from-beginning",
                        "--max",
                        "4",
                        "--timeout",
                        "5");
        assertThat(more.exit()).isEqualTo(1);
        assertThat(more.out()).hasSize(3);
        assertThat(more.err()).contains("timed out after 3 of 4 records");

        // An operator revokes a release for the fleet, sees it listed, and cannot promote a
        // release that is not there.
        Run revoked = run("models", "revoke", "7", "--reason", "drifted");
        assertThat(revoked.exit()).as(revoked.err()).isZero();
        assertThat(revoked.err()).contains("revoked fraud v7: drifted");
        Run listed = run("models", "list");
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out())
                .anyMatch(l -> l.matches("revoked v7 at .* by operator:.*: drifted"));
        Run promoted = run("models", "promote", "7");
        assertThat(promoted.exit()).isEqualTo(1);
        assertThat(promoted.err()).contains("fraud v7 is not on models.v1");

        Set<Long> children = descendants(stack);
        stack.destroy(); // SIGTERM, as a service manager would send
        assertThat(stack.waitFor(60, TimeUnit.SECONDS)).isTrue();
        for (long pid : children) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("child %d still running", pid)
                    .isFalse();
        }
        assertThat(stateDir.resolve("local-stack.properties")).doesNotExist();
        assertThat(stackDir).doesNotExist();
    }

    @Test
    void aKilledStackLeavesNoProcessesOrFilesBehind() throws Exception {
        stackUp();
        Set<Long> children = descendants(stack);
        long postmaster =
                Long.parseLong(
                        Files.readAllLines(stackDir.resolve("postgres/postmaster.pid"))
                                .get(0)
                                .trim());
        assertThat(children).isNotEmpty();

        stack.destroyForcibly(); // SIGKILL: no shutdown hooks run
        assertThat(stack.waitFor(30, TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(
                        () -> {
                            assertThat(alive(postmaster)).as("postmaster").isFalse();
                            for (long pid : children) {
                                assertThat(alive(pid)).as("child %d", pid).isFalse();
                            }
                            assertThat(stackDir).doesNotExist();
                        });
    }

    /**
     * Starts {@code demo} small and quick, on free ports; returns its READY line. The training
     * process's port must be fixed before it starts: take it below the kernel's ephemeral range
     * ({@link BenchRuns#freePort}), where the stack's own listeners cannot take it first.
     */
    private Process demo(int trainingPort, Path report, String... more) throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "demo",
                                "--history",
                                "2m",
                                "--customers",
                                "200",
                                "--merchants",
                                "50",
                                "--rate",
                                "20",
                                "--report",
                                report.toString(),
                                "-D",
                                "tideline.stack.work-dir=" + stackDir,
                                "-D",
                                "tideline.features.http.port=0",
                                "-D",
                                "tideline.serving.http.port=0",
                                "-D",
                                "tideline.cdc.http.port=0",
                                "-D",
                                "tideline.training.http.port=" + trainingPort));
        args.addAll(List.of(more));
        return tideline(args.toArray(String[]::new))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(temp.resolve("demo.out").toFile())
                .redirectError(temp.resolve("demo.err").toFile())
                .start();
    }

    private String awaitReady(Process demo) throws IOException {
        Path out = temp.resolve("demo.out");
        await().atMost(Duration.ofSeconds(240))
                .failFast("demo exited: " + temp.resolve("demo.err"), () -> !demo.isAlive())
                .until(() -> Files.readString(out).startsWith("READY "));
        return Files.readAllLines(out).get(0);
    }

    @Test
    void sigtermStopsTheDemoWithinSecondsWithASummaryAndAReport() throws Exception {
        Path report = temp.resolve("reports/demo.html");
        Process demo = demo(BenchRuns.freePort(), report, "--duration", "0");
        String ready = awaitReady(demo);
        Matcher addresses = DEMO_READY.matcher(ready);
        assertThat(addresses.matches()).as(ready).isTrue();
        assertThat(ready).containsPattern("training-pid=\\d+");
        // The simulator's history reaches the predictions topic before the stop.
        await().atMost(Duration.ofSeconds(120))
                .until(() -> Topics.endOffsetSum(addresses.group(1), "predictions.v1") > 1_000);
        Set<Long> children = descendants(demo);
        assertThat(children).hasSizeGreaterThanOrEqualTo(3); // registry, postgres, training

        long stopAt = System.nanoTime();
        demo.destroy(); // SIGTERM
        assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
        double seconds = (System.nanoTime() - stopAt) / 1e9;
        assertThat(seconds).as("seconds to stop").isLessThan(30);
        for (long pid : children) {
            assertThat(alive(pid)).as("child %d", pid).isFalse();
        }
        List<String> out = Files.readAllLines(temp.resolve("demo.out"));
        JsonNode summary = parse(out.get(out.size() - 1));
        assertThat(summary.get("demo").asText()).isEqualTo("stopped");
        for (String key :
                List.of(
                        "events",
                        "predictions",
                        "lost",
                        "duplicated",
                        "models_promoted",
                        "served_auc",
                        "served_ap",
                        "p50_ms",
                        "p99_ms",
                        "dead_letters",
                        "report")) {
            assertThat(summary.has(key)).as("summary key %s", key).isTrue();
        }
        assertThat(summary.get("events").asLong()).isPositive();
        assertThat(summary.get("predictions").asLong()).isPositive();
        assertThat(summary.get("duplicated").asLong()).isZero();
        String html = Files.readString(report);
        assertThat(html).contains("<svg").contains("id=\"tideline-report-data\"");
        JsonNode data =
                JSON.readTree(
                        html.substring(
                                        html.indexOf('>', html.indexOf("tideline-report-data")) + 1,
                                        html.lastIndexOf("</script>"))
                                .replace("<\\/", "</"));
        assertThat(data.get("throughput").size()).isPositive();
        for (String plot :
                List.of(
                        "latency_histogram",
                        "releases",
                        "roc",
                        "precision_recall",
                        "score_distribution",
                        "detection_by_scenario",
                        "batch_reference",
                        "dead_letters")) {
            assertThat(data.has(plot)).as("report data %s", plot).isTrue();
        }
        assertThat(data.get("detection_by_scenario").has("compromised-terminal")).isTrue();
    }

    @Test
    void killingTheDemoStopsEveryProcessItStarted() throws Exception {
        Process demo = demo(BenchRuns.freePort(), temp.resolve("r.html"), "--duration", "0");
        String ready = awaitReady(demo);
        long training = Long.parseLong(ready.replaceAll(".*training-pid=(\\d+).*", "$1"));
        Set<Long> children = descendants(demo);
        assertThat(children).contains(training);

        demo.destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertThat(demo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(
                        () -> {
                            assertThat(alive(training)).as("training JVM").isFalse();
                            for (long pid : children) {
                                assertThat(alive(pid)).as("child %d", pid).isFalse();
                            }
                        });
    }

    @Test
    void aPartThatCannotStartStopsTheDemoWithItsReason() throws Exception {
        try (ServerSocket busy = new ServerSocket(0)) {
            Process demo = demo(busy.getLocalPort(), temp.resolve("r.html"), "--duration", "0");
            assertThat(demo.waitFor(240, TimeUnit.SECONDS)).isTrue();
            assertThat(demo.exitValue()).isEqualTo(1);
            assertThat(Files.readString(temp.resolve("demo.out"))).doesNotContain("READY");
            assertThat(Files.readString(temp.resolve("demo.err")))
                    .contains("cannot listen on port " + busy.getLocalPort())
                    .contains("tideline: the training process exited with code");
            long pid = demo.pid();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () ->
                                    assertThat(
                                                    ProcessHandle.allProcesses()
                                                            .filter(ProcessHandle::isAlive)
                                                            .map(
                                                                    h ->
                                                                            h.info()
                                                                                    .commandLine()
                                                                                    .orElse(""))
                                                            .filter(
                                                                    c ->
                                                                            c.contains(
                                                                                            "tideline.parent-pid="
                                                                                                    + pid)
                                                                                    || c.contains(
                                                                                            stackDir
                                                                                                    .toString())))
                                            .as("processes the demo started")
                                            .isEmpty());
        }
    }

    @Test
    void benchE2eRefusesARateThatIsNotPositiveBeforeStartingAnything() throws Exception {
        Run run = run("bench", "e2e", "--rate", "0");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--rate must be positive, not 0");
    }

    @Test
    void benchE2eWarmsUpForNinetySecondsByDefault() throws Exception {
        Run run = run("bench", "e2e", "--help");
        assertThat(run.exit()).isZero();
        // The JIT compiler's first minute of load stays out of the measured seconds.
        assertThat(String.join("\n", run.out()))
                .containsPattern(
                        "(?s)--warmup=<warmup>\\s+Seconds at --rate before the\\s+measured"
                                + "\\s+ones\\s+\\(default:\\s+90\\)");
    }

    @Test
    void benchQualityRefusesALivePeriodShorterThanItsChargebacksBeforeStartingAnything()
            throws Exception {
        Run run = run("bench", "quality", "--live", "2");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err())
                .contains("--live must be at least a minute longer than the longest chargeback");
    }

    @Test
    void eachBenchmarkAnswersHelpWithItsOptions() throws Exception {
        Map<String, String> options =
                Map.of(
                        "e2e",
                        "--step-duration",
                        "quality",
                        "--live",
                        "features",
                        "--entities",
                        "eviction",
                        "--entity-ttl",
                        "serving",
                        "--rate",
                        "training",
                        "--examples");
        for (Map.Entry<String, String> b : options.entrySet()) {
            for (String flag : List.of("--help", "-h")) {
                Run run = run("bench", b.getKey(), flag);
                assertThat(run.exit()).as("bench %s %s: %s", b.getKey(), flag, run.err()).isZero();
                assertThat(String.join("\n", run.out()))
                        .contains("Usage: tideline bench " + b.getKey())
                        .contains(b.getValue());
            }
        }
    }

    @Test
    void tailWithoutAStackSaysHowToStartOne() throws Exception {
        Run run = run("tail", "--topic", "payments.transactions.v1", "--max", "1");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err())
                .contains("tideline: no schema registry: pass --registry")
                .contains("./tideline stack up");
    }

    @Test
    void aMistypedSettingIsRefusedByName() throws Exception {
        Run run =
                run(
                        "tail",
                        "--topic",
                        "x",
                        "--bootstrap",
                        "localhost:1",
                        "-D",
                        "tideline.topics.partiton=3");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err())
                .contains("unknown setting 'tideline.topics.partiton'")
                .contains("did you mean 'tideline.topics.partitions'");
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    private static Set<Long> descendants(Process p) {
        return p.descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
