package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The training job as docker-compose.yml and deploy/k8s run it: the submitting service's TIDELINE_*
 * variables are keys the job accepts, and the Flink cluster keeps checkpoints where the job resumes
 * from and reports metrics to Prometheus. (The other engines' services are checked in the deploy
 * module; the job's Kafka clients keep it apart.)
 */
class DeploymentSettingsTest {

    @Test
    void theSubmittingServicesSettingsAreKeysTheJobAccepts() throws IOException {
        Map<String, Map<String, Object>> services = services();
        Map<String, String> env = tideline(services.get("training-submit"));
        assertThat(env).containsKey("TIDELINE_TRAINING_SPEC_FINGERPRINT");

        TrainingConfig config = new TrainingMain().load(Optional.empty(), env, Map.of());
        assertThat(config.getString(TrainingConfig.RESUME_FROM)).isEqualTo("latest");
        String checkpoints = config.getString(TrainingConfig.CHECKPOINT_DIR);

        // The job's checkpoint directory is the cluster's volume, mounted where the job and the
        // cluster both see it.
        for (String name : new String[] {"jobmanager", "taskmanager", "training-submit"}) {
            assertThat(volumes(services.get(name)))
                    .as(name)
                    .anyMatch(v -> v.startsWith("flink-checkpoints:/flink-checkpoints"));
        }
        assertThat(checkpoints).isEqualTo("file:///flink-checkpoints");
        for (String name : new String[] {"jobmanager", "taskmanager"}) {
            String properties = environment(services.get(name)).get("FLINK_PROPERTIES");
            assertThat(properties)
                    .as(name)
                    .contains("state.checkpoints.dir: " + checkpoints)
                    .contains(
                            "metrics.reporter.prom.factory.class:"
                                + " org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                    .contains("jobmanager.rpc.address: jobmanager");
        }

        Map<String, String> misspelt = new HashMap<>(env);
        misspelt.put("TIDELINE_TRAINING_CHECKPOINT_DIRECTORY", "file:///x");
        assertThatThrownBy(() -> new TrainingMain().load(Optional.empty(), misspelt, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TIDELINE_TRAINING_CHECKPOINT_DIRECTORY");
    }

    @Test
    void theFlinkDeploymentsConfigMapsAreKeysTheJobAccepts() throws IOException {
        // Its pods draw tideline-env and tideline-training (deploy/k8s/base); main() reads them.
        Map<String, String> env = new TreeMap<>();
        for (String file : new String[] {"config.yaml", "training.yaml"}) {
            try (Reader r =
                    Files.newBufferedReader(repo().resolve("deploy/k8s/base").resolve(file))) {
                for (Object doc : new Yaml().loadAll(r)) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) doc;
                    @SuppressWarnings("unchecked")
                    Map<String, Object> meta = (Map<String, Object>) m.get("metadata");
                    String name = String.valueOf(meta.get("name"));
                    if ("ConfigMap".equals(m.get("kind"))
                            && (name.equals("tideline-env") || name.equals("tideline-training"))) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> data = (Map<String, Object>) m.get("data");
                        data.forEach((k, v) -> env.put(k, String.valueOf(v)));
                    }
                }
            }
        }
        assertThat(env)
                .containsKeys(
                        "TIDELINE_KAFKA_BOOTSTRAP_SERVERS", "TIDELINE_TRAINING_SPEC_FINGERPRINT");
        TrainingConfig config = new TrainingMain().load(Optional.empty(), env, Map.of());
        // The operator restores from savepoints and checkpoints; the job does not look for its own.
        assertThat(config.getString(TrainingConfig.RESUME_FROM)).isEqualTo("none");
        assertThat(config.getString(TrainingConfig.CHECKPOINT_DIR)).isEmpty();
    }

    @Test
    void theJobJarIsWhereTheImageAndTheSubmitScriptExpectIt() throws IOException {
        Path repo = repo();
        String dockerfile = Files.readString(repo.resolve("flink-training/Dockerfile"));
        assertThat(dockerfile)
                .contains(
                        "COPY --chown=flink:flink"
                                + " flink-training/target/tideline-flink-training-job.jar"
                                + " /opt/flink/usrlib/tideline-flink-training-job.jar");
        assertThat(Files.readString(repo.resolve("deploy/compose/flink/submit.sh")))
                .contains("jar=/opt/flink/usrlib/tideline-flink-training-job.jar")
                .contains("tideline-training"); // the job's name, as TrainingMain gives it
    }

    private static Map<String, String> tideline(Map<String, Object> service) {
        Map<String, String> env = new TreeMap<>(environment(service));
        env.keySet().removeIf(k -> !k.startsWith("TIDELINE_"));
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> out = new TreeMap<>();
        ((Map<String, Object>) service.getOrDefault("environment", Map.of()))
                .forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Iterable<String> volumes(Map<String, Object> service) {
        return (Iterable<String>) service.getOrDefault("volumes", java.util.List.of());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        try (Reader r = Files.newBufferedReader(repo().resolve("docker-compose.yml"))) {
            Map<String, Object> root = new Yaml().load(r);
            return (Map<String, Map<String, Object>>) root.get("services");
        }
    }

    private static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(p.resolve("docker-compose.yml"))) {
            p = p.getParent();
        }
        return p;
    }
}
