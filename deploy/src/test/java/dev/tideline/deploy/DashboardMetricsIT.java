package dev.tideline.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.features.FeatureApp;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureMain;
import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.serving.ServingApp;
import dev.tideline.serving.ServingConfig;
import dev.tideline.serving.ServingMain;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard's queries name metrics the engines export: the feature stage and a scoring
 * replica are started with their compose services' settings (the cluster's addresses swapped for
 * the test's) and their {@code /metrics} read; the training job's names under Flink's Prometheus
 * reporter are its metric groups and metrics as its operators register them.
 */
@WithLocalStack
class DashboardMetricsIT {

    private static final Path REPO = Compose.repo();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A name in PromQL that is not a function's (functions are followed by a parenthesis). */
    private static final Pattern NAME =
            Pattern.compile("\\b([a-zA-Z_][a-zA-Z0-9_]*)\\b(?!\\s*\\()");

    /** What a query says besides metric names: grouping labels, selectors, ranges. */
    private static final Pattern NOT_NAMES =
            Pattern.compile("\\b(?:by|without)\\s*\\([^)]*\\)|\\{[^}]*}|\\[[^\\]]*]");

    @Test
    void everyDashboardQueryNamesAMetricAnEngineExports(
            LocalStack stack, TestNamespace ns, @TempDir Path dir) throws Exception {
        Compose compose = Compose.load();
        Map<String, String> features =
                local(compose.service("features-1").tidelineEnvironment(), stack, ns);
        features.put("TIDELINE_FEATURES_APPLICATION_ID", ns.name("features"));
        features.put("TIDELINE_FEATURES_STATE_DIR", dir.resolve("features").toString());
        features.put("TIDELINE_FEATURES_HTTP_PORT", "0");
        features.put("TIDELINE_FEATURES_HTTP_ADVERTISED_HOST", "localhost");
        Map<String, String> serving =
                local(compose.service("serving-1").tidelineEnvironment(), stack, ns);
        serving.put("TIDELINE_SERVING_GROUP_ID", ns.name("serving"));
        serving.put("TIDELINE_SERVING_STATE_DIR", dir.resolve("serving").toString());
        serving.put("TIDELINE_SERVING_HTTP_PORT", "0");

        FeatureConfig featureConfig = new FeatureMain().load(Optional.empty(), features, Map.of());
        ServingConfig servingConfig = new ServingMain().load(Optional.empty(), serving, Map.of());
        Set<String> exported = new TreeSet<>();
        try (FeatureApp f = FeatureApp.start(featureConfig);
                ServingApp s = ServingApp.start(servingConfig)) {
            // Kafka's client metrics appear once the stage's consumer has its partitions.
            await().atMost(Duration.ofSeconds(90))
                    .untilAsserted(
                            () ->
                                    assertThat(names(f.httpPort()))
                                            .contains(
                                                    "kafka_consumer_fetch_manager_records_lag_max"));
            exported.addAll(names(f.httpPort()));
            exported.addAll(names(s.httpPort()));
        }
        // Counters with one series per reason or gate appear on first use: their names come from
        // the engines' sources.
        Set<String> perReason = counterNames();
        assertThat(perReason).contains("tideline_features_dead_letters_total");
        exported.addAll(perReason);
        Set<String> flink = flinkNames();
        assertThat(flink)
                .contains(
                        "flink_taskmanager_job_task_operator_tideline_publisher_last_release_auc");
        exported.addAll(flink);

        Set<String> queried = queriedMetrics();
        assertThat(queried).hasSizeGreaterThan(10);
        assertThat(queried).isSubsetOf(exported);
    }

    /** The compose settings with the test's cluster, registry and topic namespace. */
    private static Map<String, String> local(
            Map<String, String> env, LocalStack stack, TestNamespace ns) {
        Map<String, String> out = new HashMap<>(env);
        out.put("TIDELINE_KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers());
        out.put("TIDELINE_REGISTRY_URL", stack.registryUrl());
        out.put("TIDELINE_TOPICS_PREFIX", ns.prefix());
        out.put("TIDELINE_TOPICS_REPLICATION_FACTOR", "1");
        assertThat(out.keySet())
                .allMatch(k -> k.startsWith("TIDELINE_"))
                .contains(
                        envName(ClientSettings.BOOTSTRAP), envName(TopicCatalogConfig.PARTITIONS));
        return out;
    }

    private static String envName(String key) {
        return dev.tideline.ops.config.ConfigLoader.envName(key);
    }

    /** The metric names in an engine's Prometheus text. */
    private static Set<String> names(int port) throws IOException, InterruptedException {
        HttpResponse<String> r =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        for (String line : r.body().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    /**
     * The training job's metrics as Flink's Prometheus reporter names them: {@code
     * flink_taskmanager_job_task_operator_<group>_<metric>} for each {@code addGroup("group")} and
     * the {@code counter}s and {@code gauge}s registered on it in the job's sources.
     */
    private static Set<String> flinkNames() throws IOException {
        Pattern group = Pattern.compile("addGroup\\(\"([a-z_]+)\"\\)");
        Pattern metric = Pattern.compile("\\.(?:<[^(]*>)?(?:counter|gauge)\\(\\s*\"([a-z_]+)\"");
        Set<String> out = new TreeSet<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(REPO.resolve("flink-training/src/main/java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path source : sources) {
            String text = Files.readString(source);
            Matcher g = group.matcher(text);
            if (!g.find()) {
                continue;
            }
            Matcher m = metric.matcher(text);
            while (m.find()) {
                out.add("flink_taskmanager_job_task_operator_" + g.group(1) + "_" + m.group(1));
            }
        }
        return out;
    }

    /** The Prometheus names of the counters the engines' sources build: {@code <name>_total}. */
    private static Set<String> counterNames() throws IOException {
        Pattern counter = Pattern.compile("Counter\\.builder\\(\\s*\"([a-z.]+)\"");
        Set<String> out = new TreeSet<>();
        for (String module : List.of("streams-features", "serving-consumer", "connectors")) {
            List<Path> sources;
            try (Stream<Path> files = Files.walk(REPO.resolve(module).resolve("src/main/java"))) {
                sources = files.filter(p -> p.toString().endsWith(".java")).toList();
            }
            for (Path source : sources) {
                Matcher m = counter.matcher(Files.readString(source));
                while (m.find()) {
                    out.add(m.group(1).replace('.', '_') + "_total");
                }
            }
        }
        return out;
    }

    /** Every metric name the dashboard's queries read. */
    private static Set<String> queriedMetrics() throws IOException {
        JsonNode dashboard =
                new ObjectMapper()
                        .readTree(
                                REPO.resolve("deploy/compose/grafana/dashboards/tideline.json")
                                        .toFile());
        Set<String> out = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                String expr = NOT_NAMES.matcher(target.get("expr").asText()).replaceAll(" ");
                Matcher m = NAME.matcher(expr);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }
}
