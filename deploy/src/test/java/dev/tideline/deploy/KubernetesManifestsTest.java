package dev.tideline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.tideline.features.FeatureMain;
import dev.tideline.features.FeatureSpec;
import dev.tideline.serving.ServingMain;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.Test;

/**
 * The kustomize overlays under deploy/k8s, built with {@code kubectl kustomize} and read strictly
 * into the published model classes: an unknown field or a wrong type anywhere fails. The Pods'
 * TIDELINE_* variables, with the ConfigMaps they draw from, load in the engines that read them.
 */
class KubernetesManifestsTest {

    private static final Path REPO = Compose.repo();
    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory())
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** The Flink versions operator releases after the API jar on Maven Central know (1.10.0). */
    private static final Set<String> NEWER_FLINK_VERSIONS = Set.of("v2_0", "v2_1", "v2_2");

    private static final Map<String, Class<?>> MODELS =
            Map.ofEntries(
                    Map.entry("v1/ConfigMap", ConfigMap.class),
                    Map.entry("v1/Secret", Secret.class),
                    Map.entry("v1/Service", Service.class),
                    Map.entry("v1/ServiceAccount", ServiceAccount.class),
                    Map.entry("v1/Namespace", Namespace.class),
                    Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
                    Map.entry("apps/v1/Deployment", Deployment.class),
                    Map.entry("apps/v1/StatefulSet", StatefulSet.class),
                    Map.entry("batch/v1/Job", Job.class),
                    Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
                    Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
                    Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class),
                    Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
                    Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
                    Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
                    Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
                    Map.entry("flink.apache.org/v1beta1/FlinkDeployment", FlinkDeployment.class));

    /**
     * KEDA publishes no Java model: its kinds are checked against the fields of its CRDs (v2.17)
     * that these manifests may use.
     */
    private static final Map<String, Set<String>> KEDA_FIELDS =
            Map.of(
                    "ScaledObject.spec",
                    Set.of(
                            "scaleTargetRef",
                            "pollingInterval",
                            "cooldownPeriod",
                            "initialCooldownPeriod",
                            "idleReplicaCount",
                            "minReplicaCount",
                            "maxReplicaCount",
                            "fallback",
                            "advanced",
                            "triggers"),
                    "trigger",
                    Set.of(
                            "type",
                            "name",
                            "metadata",
                            "authenticationRef",
                            "metricType",
                            "useCachedMetrics"),
                    "kafka.metadata",
                    Set.of(
                            "bootstrapServers",
                            "consumerGroup",
                            "topic",
                            "lagThreshold",
                            "activationLagThreshold",
                            "offsetResetPolicy",
                            "allowIdleConsumers",
                            "excludePersistentLag",
                            "scaleToZeroOnInvalidOffset",
                            "limitToPartitionsWithLag",
                            "sasl",
                            "tls",
                            "unsafeSsl",
                            "version"),
                    "TriggerAuthentication.spec",
                    Set.of(
                            "secretTargetRef",
                            "env",
                            "podIdentity",
                            "hashiCorpVault",
                            "azureKeyVault",
                            "awsSecretManager",
                            "configMapTargetRef"),
                    "secretTargetRef",
                    Set.of("parameter", "name", "key"));

    @Test
    void everyOverlayBuildsIntoKnownKindsWithOnlyKnownFields() throws Exception {
        for (String overlay : List.of("local", "cloud")) {
            List<JsonNode> docs = build(overlay);
            assertThat(docs).as(overlay).hasSizeGreaterThan(15);
            List<String> problems = new ArrayList<>();
            for (JsonNode doc : docs) {
                problems.addAll(check(doc));
            }
            assertThat(problems).as(overlay).isEmpty();
            assertThat(kinds(docs))
                    .as(overlay)
                    .contains(
                            "FlinkDeployment",
                            "StatefulSet",
                            "Deployment",
                            "ScaledObject",
                            "ServiceMonitor",
                            "PodMonitor",
                            "Job");
        }
        assertThat(kinds(build("local"))).contains("Kafka", "KafkaNodePool");
    }

    @Test
    void theCheckRefusesAnUnknownFieldAndAWrongTypeInEachModel() throws Exception {
        Map<String, JsonNode> byKind = new HashMap<>();
        for (JsonNode doc : build("local")) {
            byKind.putIfAbsent(doc.get("kind").asText(), doc);
        }
        for (String kind :
                List.of(
                        "Deployment",
                        "StatefulSet",
                        "FlinkDeployment",
                        "Kafka",
                        "KafkaNodePool",
                        "ServiceMonitor",
                        "ScaledObject")) {
            ObjectNode unknown = byKind.get(kind).deepCopy();
            ((ObjectNode) unknown.get("spec")).put("replicaz", 3);
            assertThat(check(unknown)).as(kind + " with spec.replicaz").isNotEmpty();
        }
        ObjectNode wrongType = byKind.get("StatefulSet").deepCopy();
        ((ObjectNode) wrongType.get("spec")).putObject("replicas").put("count", 2);
        assertThat(check(wrongType)).as("replicas as an object").isNotEmpty();
        ObjectNode flinkVersion = byKind.get("FlinkDeployment").deepCopy();
        ((ObjectNode) flinkVersion.get("spec")).put("flinkVersion", "v9_9");
        assertThat(check(flinkVersion)).as("an unknown Flink version").isNotEmpty();
    }

    @Test
    void everyPodsTidelineVariablesLoadInItsEngine() throws Exception {
        FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);
        for (String overlay : List.of("local", "cloud")) {
            List<JsonNode> docs = build(overlay);
            Map<String, Map<String, String>> configMaps = new HashMap<>();
            for (JsonNode doc : docs) {
                if (doc.get("kind").asText().equals("ConfigMap")) {
                    ConfigMap cm = YAML.treeToValue(doc, ConfigMap.class);
                    configMaps.put(cm.getMetadata().getName(), cm.getData());
                }
            }
            int loaded = 0;
            for (JsonNode doc : docs) {
                String kind = doc.get("kind").asText();
                if (kind.equals("StatefulSet") && name(doc).equals("features")) {
                    Map<String, String> env =
                            environment(
                                    YAML.treeToValue(doc, StatefulSet.class)
                                            .getSpec()
                                            .getTemplate()
                                            .getSpec(),
                                    configMaps);
                    new FeatureMain().load(Optional.empty(), env, Map.of());
                    loaded++;
                } else if (kind.equals("Deployment") && name(doc).equals("serving")) {
                    Map<String, String> env =
                            environment(
                                    YAML.treeToValue(doc, Deployment.class)
                                            .getSpec()
                                            .getTemplate()
                                            .getSpec(),
                                    configMaps);
                    new ServingMain().load(Optional.empty(), env, Map.of());
                    assertThat(env.get("TIDELINE_SERVING_SPEC_FINGERPRINT"))
                            .isEqualTo(spec.fingerprint());
                    assertThat(env.get("TIDELINE_SERVING_INPUT_WIDTH"))
                            .isEqualTo(String.valueOf(spec.size()));
                    loaded++;
                }
            }
            assertThat(loaded).as(overlay).isEqualTo(2);
            Map<String, String> training = configMaps.get("tideline-training");
            assertThat(training.get("TIDELINE_TRAINING_SPEC_FINGERPRINT"))
                    .isEqualTo(spec.fingerprint());
            assertThat(training.get("TIDELINE_TRAINING_INPUT_WIDTH"))
                    .isEqualTo(String.valueOf(spec.size()));
            assertThat(training.get("TIDELINE_TRAINING_SPEC_VERSION"))
                    .isEqualTo(String.valueOf(spec.version()));
        }
    }

    @Test
    void theScaledObjectScalesTheServingDeploymentOnItsGroupsLag() throws Exception {
        for (String overlay : List.of("local", "cloud")) {
            List<JsonNode> docs = build(overlay);
            JsonNode scaled = only(docs, "ScaledObject");
            assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo("serving");
            JsonNode kafka = scaled.at("/spec/triggers/0/metadata");
            assertThat(kafka.get("consumerGroup").asText()).isEqualTo("tideline-serving");
            assertThat(kafka.get("topic").asText()).isEqualTo("features.v1");
            JsonNode env = null;
            for (JsonNode doc : docs) {
                if (doc.get("kind").asText().equals("ConfigMap")
                        && name(doc).equals("tideline-env")) {
                    env = doc.get("data");
                }
            }
            assertThat(kafka.get("bootstrapServers").asText())
                    .as(overlay)
                    .isEqualTo(env.get("TIDELINE_KAFKA_BOOTSTRAP_SERVERS").asText());
            // No more replicas than partitions: more would idle.
            assertThat(scaled.at("/spec/maxReplicaCount").asInt())
                    .as(overlay)
                    .isLessThanOrEqualTo(env.get("TIDELINE_TOPICS_PARTITIONS").asInt());
        }
    }

    /** The problems of one manifest: none when it reads strictly into its model. */
    static List<String> check(JsonNode doc) {
        String kind = doc.get("kind").asText();
        String key = doc.get("apiVersion").asText() + "/" + kind;
        String where = key + " " + name(doc);
        List<String> problems = new ArrayList<>();
        if (key.startsWith("keda.sh/v1alpha1/")) {
            keda(doc, where, problems);
            return problems;
        }
        Class<?> model = MODELS.get(key);
        if (model == null) {
            return List.of(where + ": no model for this kind");
        }
        JsonNode input = doc;
        if (kind.equals("FlinkDeployment")) {
            // The API jar's enum predates Flink 2: a newer version is checked by name, the rest
            // of the resource strictly.
            String version = doc.at("/spec/flinkVersion").asText();
            if (NEWER_FLINK_VERSIONS.contains(version)) {
                ObjectNode copy = doc.deepCopy();
                ((ObjectNode) copy.get("spec")).put("flinkVersion", "v1_20");
                input = copy;
            }
        }
        try {
            Object value = YAML.treeToValue(input, model);
            unknownFields(value, where, problems, new IdentityHashMap<>());
            if (kind.equals("FlinkDeployment")) {
                // The Flink operator's model ignores unknown fields, dropping them: what was
                // read must be written back.
                dropped(input, YAML.valueToTree(value), where, "", problems);
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add(where + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        return problems;
    }

    /**
     * Fields a model kept aside because it has no property for them: fabric8's and Strimzi's
     * classes collect them in {@code getAdditionalProperties()} instead of failing.
     */
    private static void unknownFields(
            Object value, String where, List<String> problems, Map<Object, Object> seen) {
        if (value == null
                || value instanceof String
                || value instanceof Number
                || value instanceof Boolean
                || value instanceof Enum<?>
                || seen.put(value, value) != null) {
            return;
        }
        if (value instanceof Collection<?> c) {
            c.forEach(v -> unknownFields(v, where, problems, seen));
            return;
        }
        if (value instanceof Map<?, ?> m) {
            m.values().forEach(v -> unknownFields(v, where, problems, seen));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!(pkg.startsWith("io.fabric8")
                || pkg.startsWith("io.strimzi")
                || pkg.startsWith("org.apache.flink.kubernetes"))) {
            return;
        }
        for (Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || Modifier.isStatic(m.getModifiers())
                    || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class
                    || m.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = m.invoke(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties") && child instanceof Map<?, ?> extra) {
                if (!extra.isEmpty()) {
                    problems.add(
                            where
                                    + ": unknown field(s) "
                                    + extra.keySet()
                                    + " in "
                                    + value.getClass().getSimpleName());
                }
            } else {
                unknownFields(child, where, problems, seen);
            }
        }
    }

    /** Fields of {@code in} that {@code out} lacks, by path. */
    private static void dropped(
            JsonNode in, JsonNode out, String where, String path, List<String> problems) {
        if (in.isObject()) {
            in.fields()
                    .forEachRemaining(
                            f -> {
                                JsonNode o = out == null ? null : out.get(f.getKey());
                                if (o == null || o.isNull()) {
                                    if (!f.getValue().isNull()) {
                                        problems.add(
                                                where
                                                        + ": unknown field "
                                                        + path
                                                        + "/"
                                                        + f.getKey());
                                    }
                                } else {
                                    dropped(
                                            f.getValue(),
                                            o,
                                            where,
                                            path + "/" + f.getKey(),
                                            problems);
                                }
                            });
        } else if (in.isArray() && out != null && out.isArray()) {
            for (int i = 0; i < in.size() && i < out.size(); i++) {
                dropped(in.get(i), out.get(i), where, path + "/" + i, problems);
            }
        }
    }

    private static void keda(JsonNode doc, String where, List<String> problems) {
        String kind = doc.get("kind").asText();
        fields(doc.get("spec"), KEDA_FIELDS.get(kind + ".spec"), where + " spec", problems);
        if (kind.equals("ScaledObject")) {
            for (JsonNode trigger : doc.at("/spec/triggers")) {
                fields(trigger, KEDA_FIELDS.get("trigger"), where + " trigger", problems);
                if (trigger.get("type").asText().equals("kafka")) {
                    fields(
                            trigger.get("metadata"),
                            KEDA_FIELDS.get("kafka.metadata"),
                            where + " kafka metadata",
                            problems);
                    trigger.get("metadata")
                            .fields()
                            .forEachRemaining(
                                    f -> {
                                        if (!f.getValue().isTextual()) {
                                            problems.add(
                                                    where
                                                            + ": metadata."
                                                            + f.getKey()
                                                            + " must be a string");
                                        }
                                    });
                }
            }
        } else {
            for (JsonNode ref : doc.at("/spec/secretTargetRef")) {
                fields(ref, KEDA_FIELDS.get("secretTargetRef"), where, problems);
            }
        }
    }

    private static void fields(
            JsonNode node, Set<String> known, String where, List<String> problems) {
        if (node == null || !node.isObject()) {
            problems.add(where + ": missing or not an object");
            return;
        }
        node.fieldNames()
                .forEachRemaining(
                        f -> {
                            if (!known.contains(f)) {
                                problems.add(where + ": unknown field " + f);
                            }
                        });
    }

    /** A container's TIDELINE_* variables, its env over the ConfigMaps it draws from. */
    private static Map<String, String> environment(
            PodSpec pod, Map<String, Map<String, String>> configMaps) {
        Container c = pod.getContainers().get(0);
        Map<String, String> env = new TreeMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                Map<String, String> data = configMaps.get(from.getConfigMapRef().getName());
                assertThat(data).as(from.getConfigMapRef().getName()).isNotNull();
                env.putAll(data);
            }
        }
        for (EnvVar v : c.getEnv()) {
            // Values from the downward API or Secrets are set at run time: a placeholder stands in.
            env.put(v.getName(), v.getValue() != null ? v.getValue() : "from-" + v.getName());
        }
        env.keySet().removeIf(k -> !k.startsWith("TIDELINE_") || k.equals("TIDELINE_JAVA_OPTS"));
        return env;
    }

    private static String name(JsonNode doc) {
        return doc.at("/metadata/name").asText();
    }

    private static Set<String> kinds(List<JsonNode> docs) {
        return new java.util.TreeSet<>(docs.stream().map(d -> d.get("kind").asText()).toList());
    }

    private static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> found =
                docs.stream().filter(d -> d.get("kind").asText().equals(kind)).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    /** {@code kubectl kustomize deploy/k8s/overlays/<overlay>}, one node per manifest. */
    static List<JsonNode> build(String overlay) throws Exception {
        DeployTools.require("kubectl", "its kustomize builds the overlays");
        Process p =
                new ProcessBuilder(
                                "kubectl",
                                "kustomize",
                                REPO.resolve("deploy/k8s/overlays/" + overlay).toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize " + overlay).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(out)) {
            ObjectMapper plain = new ObjectMapper(new YAMLFactory());
            var it = plain.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }
}
