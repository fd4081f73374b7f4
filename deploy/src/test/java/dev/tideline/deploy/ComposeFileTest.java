package dev.tideline.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.connectors.CdcConfig;
import dev.tideline.connectors.CdcMain;
import dev.tideline.features.FeatureConfig;
import dev.tideline.features.FeatureMain;
import dev.tideline.features.FeatureSpec;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.ops.config.ConfigLoader;
import dev.tideline.serving.ServingConfig;
import dev.tideline.serving.ServingMain;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** docker-compose.yml and the files it names, cross-checked with the engines it runs. */
class ComposeFileTest {

    private static final Path REPO = Compose.repo();
    private final Compose compose = Compose.load();

    @Test
    void everyTidelineVariableIsAKeyItsEngineAccepts() {
        List<Compose.Service> features = compose.running("tideline/features");
        List<Compose.Service> serving = compose.running("tideline/serving");
        assertThat(features).hasSize(2);
        assertThat(serving).hasSizeGreaterThanOrEqualTo(2);
        for (Compose.Service s : features) {
            FeatureConfig config =
                    new FeatureMain().load(Optional.empty(), s.tidelineEnvironment(), Map.of());
            config.entityTtl(config.spec());
            assertThat(config.getInt(FeatureConfig.STANDBY_REPLICAS)).as(s.name()).isEqualTo(1);
        }
        for (Compose.Service s : serving) {
            new ServingMain().load(Optional.empty(), s.tidelineEnvironment(), Map.of());
        }
        for (Compose.Service s : compose.running("tideline/cdc")) {
            new CdcMain().load(Optional.empty(), s.tidelineEnvironment(), Map.of());
        }
        // The CLI takes the shared client and topic settings (and more).
        for (Compose.Service s : compose.running("tideline/cli")) {
            new ConfigLoader(ClientSettings.KEYS, List.of(ClientSettings.CLIENT_PREFIX))
                    .load(Map.of(), Optional.empty(), s.tidelineEnvironment(), Map.of());
        }
        // The check refuses what an engine would: a misspelt key names itself.
        Map<String, String> misspelt = new HashMap<>(features.get(0).tidelineEnvironment());
        misspelt.put("TIDELINE_FEATURES_NUM_STANDBY_REPLICA", "1");
        assertThatThrownBy(() -> new FeatureMain().load(Optional.empty(), misspelt, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TIDELINE_FEATURES_NUM_STANDBY_REPLICA");
    }

    @Test
    void servingAndTrainingExpectTheFeatureStagesSpec() {
        FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);
        for (Compose.Service s : compose.running("tideline/serving")) {
            Map<String, String> env = s.environment();
            assertThat(env.get("TIDELINE_SERVING_SPEC_FINGERPRINT"))
                    .as(s.name())
                    .isEqualTo(spec.fingerprint());
            assertThat(env.get("TIDELINE_SERVING_INPUT_WIDTH"))
                    .isEqualTo(String.valueOf(spec.size()));
        }
        Map<String, String> training = compose.service("training-submit").environment();
        assertThat(training.get("TIDELINE_TRAINING_SPEC_FINGERPRINT"))
                .isEqualTo(spec.fingerprint());
        assertThat(training.get("TIDELINE_TRAINING_INPUT_WIDTH"))
                .isEqualTo(String.valueOf(spec.size()));
        assertThat(training.get("TIDELINE_TRAINING_SPEC_VERSION"))
                .isEqualTo(String.valueOf(spec.version()));
        assertThat(training)
                .doesNotContainKey("TIDELINE_TRAINING_SPEC_ID"); // the default, payments
        assertThat(spec.id()).isEqualTo("payments");
    }

    @Test
    void everyMountedFileAndDockerfileExists() {
        List<String> missing = new ArrayList<>();
        for (Compose.Service s : compose.services().values()) {
            for (String volume : s.volumes()) {
                String source = volume.split(":")[0];
                if (source.startsWith("./") && !Files.exists(REPO.resolve(source))) {
                    missing.add(s.name() + ": " + source);
                }
            }
            s.dockerfile()
                    .filter(f -> !Files.isRegularFile(REPO.resolve(f)))
                    .ifPresent(f -> missing.add(s.name() + ": dockerfile " + f));
        }
        compose.secrets()
                .forEach(
                        (name, def) -> {
                            String file = (String) def.get("file");
                            if (!Files.isRegularFile(REPO.resolve(file))) {
                                missing.add("secret " + name + ": " + file);
                            }
                        });
        assertThat(missing).isEmpty();
    }

    @Test
    void everyCopySourceOfEveryDockerfileExists() throws IOException {
        List<Path> dockerfiles;
        try (Stream<Path> files = Files.walk(REPO, 3)) {
            dockerfiles =
                    files.filter(
                                    p -> {
                                        String n = p.getFileName().toString();
                                        return n.equals("Dockerfile")
                                                || n.startsWith("Dockerfile.")
                                                || n.endsWith(".Dockerfile");
                                    })
                            .filter(p -> !p.toString().contains("/target/"))
                            .toList();
        }
        // One per engine, the CUDA variant, the training job's and Kafka Connect's.
        assertThat(dockerfiles)
                .extracting(p -> REPO.relativize(p).toString())
                .contains(
                        "streams-features/Dockerfile",
                        "serving-consumer/Dockerfile",
                        "serving-consumer/Dockerfile.gpu",
                        "connectors/Dockerfile",
                        "connectors/connect.Dockerfile",
                        "cli/Dockerfile",
                        "flink-training/Dockerfile");
        List<String> missing = new ArrayList<>();
        for (Path dockerfile : dockerfiles) {
            List<String> sources = copySources(dockerfile);
            assertThat(sources).as(dockerfile.toString()).isNotEmpty();
            for (String source : sources) {
                if (!Files.exists(REPO.resolve(source))) {
                    missing.add(REPO.relativize(dockerfile) + ": COPY " + source);
                }
            }
            String text = Files.readString(dockerfile);
            // Non-root: the engines' images name their user (Flink's and Kafka's switch to theirs).
            if (!text.contains("FROM flink:")) {
                assertThat(text).as(dockerfile.toString()).containsPattern("(?m)^USER (?!root)");
            }
        }
        assertThat(missing).as("COPY sources (run mvn package first for target/ jars)").isEmpty();
    }

    /** The build-context paths a Dockerfile copies (every COPY argument but the last). */
    static List<String> copySources(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            String l = line.trim();
            if (!l.startsWith("COPY ")) {
                continue;
            }
            List<String> args = new ArrayList<>();
            for (String a : l.substring(5).trim().split("\\s+")) {
                if (!a.startsWith("--")) {
                    args.add(a);
                }
            }
            out.addAll(args.subList(0, args.size() - 1));
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEveryEngineWhereItServesMetrics() throws IOException {
        Map<String, Object> prometheus;
        try (Reader r = Files.newBufferedReader(REPO.resolve("deploy/compose/prometheus.yml"))) {
            prometheus = new Yaml().load(r);
        }
        Set<String> scraped = new TreeSet<>();
        for (Map<String, Object> job :
                (List<Map<String, Object>>) prometheus.get("scrape_configs")) {
            assertThat(job.getOrDefault("metrics_path", "/metrics")).isEqualTo("/metrics");
            for (Map<String, Object> sc : (List<Map<String, Object>>) job.get("static_configs")) {
                for (String target : (List<String>) sc.get("targets")) {
                    String host = target.substring(0, target.indexOf(':'));
                    int port = Integer.parseInt(target.substring(target.indexOf(':') + 1));
                    Compose.Service s = compose.service(host);
                    assertThat(port).as(target).isEqualTo(metricsPort(s));
                    scraped.add(host);
                }
            }
        }
        // None forgotten: every engine and every Flink process.
        Set<String> engines = new TreeSet<>();
        compose.services()
                .values()
                .forEach(
                        s -> {
                            if (s.image().startsWith("tideline/features")
                                    || s.image().startsWith("tideline/serving")
                                    || s.environment()
                                            .getOrDefault("FLINK_PROPERTIES", "")
                                            .contains("metrics.reporter.prom")) {
                                engines.add(s.name());
                            }
                        });
        assertThat(scraped).containsAll(engines);
    }

    /** Where a service serves Prometheus text: its engine's http port, or Flink's reporter's. */
    private static int metricsPort(Compose.Service s) {
        Map<String, String> env = s.environment();
        if (s.image().startsWith("tideline/features")) {
            return port(
                    env,
                    "TIDELINE_FEATURES_HTTP_PORT",
                    FeatureConfig.DEFINITION,
                    FeatureConfig.HTTP_PORT);
        }
        if (s.image().startsWith("tideline/serving")) {
            return port(
                    env,
                    "TIDELINE_SERVING_HTTP_PORT",
                    ServingConfig.DEFINITION,
                    ServingConfig.HTTP_PORT);
        }
        if (s.image().startsWith("tideline/cdc")) {
            return port(env, "TIDELINE_CDC_HTTP_PORT", CdcConfig.DEFINITION, CdcConfig.HTTP_PORT);
        }
        Matcher m =
                Pattern.compile("metrics\\.reporter\\.prom\\.port:\\s*(\\d+)")
                        .matcher(env.getOrDefault("FLINK_PROPERTIES", ""));
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        throw new AssertionError(s.name() + " serves no metrics");
    }

    private static int port(
            Map<String, String> env,
            String variable,
            org.apache.kafka.common.config.ConfigDef definition,
            String key) {
        return env.containsKey(variable)
                ? Integer.parseInt(env.get(variable))
                : (Integer) definition.defaultValues().get(key);
    }

    @Test
    void connectRegistersTheConnectorConfigsTheConnectorsModuleValidatesWithTheirSecrets()
            throws IOException {
        Compose.Service register = compose.service("connect-register");
        assertThat(register.volumes()).contains("./connectors/connect:/connectors:ro");
        Compose.Service connect = compose.service("connect");
        String secrets =
                connect.volumes().stream()
                        .filter(v -> v.endsWith(":/etc/tideline/secrets:ro"))
                        .map(v -> v.split(":")[0])
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("connect mounts no secrets"));
        List<Path> configs;
        try (Stream<Path> files = Files.list(REPO.resolve("connectors/connect"))) {
            configs = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(configs)
                .extracting(p -> p.getFileName().toString())
                .containsExactly("cdc-accounts.v1.json", "cdc-chargebacks.v1.json");
        // Every ${file:/etc/tideline/secrets/F:key} a config names is a key of a mounted file.
        Pattern ref = Pattern.compile("\\$\\{file:/etc/tideline/secrets/([^:}]+):([^}]+)}");
        int refs = 0;
        for (Path config : configs) {
            Matcher m = ref.matcher(Files.readString(config));
            while (m.find()) {
                Properties p = new Properties();
                try (Reader r =
                        Files.newBufferedReader(REPO.resolve(secrets).resolve(m.group(1)))) {
                    p.load(r);
                }
                assertThat(p).as(config + " → " + m.group()).containsKey(m.group(2));
                refs++;
            }
        }
        assertThat(refs).isGreaterThan(0);
        // The database the secrets name is the compose file's, with its password.
        Properties db = new Properties();
        try (Reader r =
                Files.newBufferedReader(REPO.resolve(secrets).resolve("postgres.properties"))) {
            db.load(r);
        }
        assertThat(db.getProperty("host")).isIn(compose.services().keySet());
        assertThat(db.getProperty("password"))
                .isEqualTo(
                        Files.readString(REPO.resolve("deploy/compose/secrets/postgres-password"))
                                .trim());
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        DeployTools.require("docker-compose", ".ci/run installs Debian's package");
        Process p =
                new ProcessBuilder("docker-compose", "-f", "docker-compose.yml", "config", "-q")
                        .directory(REPO.toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
