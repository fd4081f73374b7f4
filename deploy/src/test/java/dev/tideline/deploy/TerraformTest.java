package dev.tideline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * terraform/ as far as it can be checked without AWS and without downloading providers or modules:
 * formatting, and its names against the project's (the variables modules are given, the GPU nodes
 * the cloud overlay selects, the Secrets it mounts, the overlay it applies).
 */
class TerraformTest {

    private static final Path REPO = Compose.repo();
    private static final Path TF = REPO.resolve("terraform");
    private static final Set<String> META =
            Set.of("source", "version", "count", "for_each", "providers", "depends_on");

    @Test
    void terraformFmtFindsNothingToChange() throws Exception {
        DeployTools.require("terraform", "terraform fmt");
        Process p =
                new ProcessBuilder(
                                "terraform", "fmt", "-check", "-recursive", "-diff", TF.toString())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void everyVariableUsedOrGivenIsDeclaredAndEveryRequiredOneGiven() throws IOException {
        for (Path module : List.of(TF, TF.resolve("modules/region"))) {
            String text = text(module);
            Set<String> declared = names(text, "variable \"([a-z_]+)\"");
            Set<String> used = names(text, "\\bvar\\.([a-z_]+)");
            assertThat(declared).as(module.toString()).containsAll(used);
        }
        String region = text(TF.resolve("modules/region"));
        Set<String> declared = names(region, "variable \"([a-z_]+)\"");
        Set<String> required = new TreeSet<>();
        Matcher v =
                Pattern.compile("variable \"([a-z_]+)\" \\{(.*?)\\n\\}", Pattern.DOTALL)
                        .matcher(region);
        while (v.find()) {
            if (!v.group(2).contains("default")) {
                required.add(v.group(1));
            }
        }
        Matcher m =
                Pattern.compile(
                                "module \"([a-z_]+)\""
                                        + " \\{\\s*source\\s*=\\s*\"\\./modules/region\"(.*?)\\n"
                                        + "\\}",
                                Pattern.DOTALL)
                        .matcher(text(TF));
        int instances = 0;
        while (m.find()) {
            Set<String> given = names(m.group(2), "(?m)^\\s{2}([a-z_]+)\\s*=");
            given.removeAll(META);
            assertThat(declared).as("module " + m.group(1)).containsAll(given);
            assertThat(given).as("module " + m.group(1)).containsAll(required);
            instances++;
        }
        assertThat(instances).as("region module instances").isEqualTo(2);
    }

    @Test
    void theGpuNodesAreTheOnesTheCloudOverlaySchedulesServingOn() throws Exception {
        String eks = Files.readString(TF.resolve("modules/region/eks.tf"));
        JsonNode serving = serving();
        JsonNode selector = serving.at("/spec/template/spec/nodeSelector");
        assertThat(selector.size()).isEqualTo(1);
        String label = selector.fieldNames().next();
        assertThat(eks).contains("\"" + label + "\" = \"" + selector.get(label).asText() + "\"");
        JsonNode toleration = serving.at("/spec/template/spec/tolerations/0");
        assertThat(eks)
                .contains("key    = \"" + toleration.get("key").asText() + "\"")
                .contains("effect = \"NO_SCHEDULE\"");
        assertThat(toleration.get("effect").asText()).isEqualTo("NoSchedule");
        assertThat(
                        serving.at(
                                        "/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu")
                                .asText())
                .isEqualTo("1");
    }

    @Test
    void theSecretsTheCloudOverlayMountsAreTheOnesTerraformGenerates() throws Exception {
        String tideline = Files.readString(TF.resolve("modules/region/tideline.tf"));
        Set<String> generated =
                names(tideline, "secret_generator \\{\\s*name\\s*=\\s*\"([a-z-]+)\"");
        Set<String> referenced = new TreeSet<>();
        for (JsonNode doc : KubernetesManifestsTest.build("cloud")) {
            collectSecretNames(doc, referenced);
        }
        assertThat(referenced).hasSizeGreaterThanOrEqualTo(4);
        assertThat(generated).containsAll(referenced);
        // The overlay terraform applies is the one the build checks.
        assertThat(Files.readString(TF.resolve("main.tf")))
                .contains("\"${path.root}/../deploy/k8s/overlays/cloud\"");
        assertThat(REPO.resolve("deploy/k8s/overlays/cloud/kustomization.yaml")).isRegularFile();
    }

    private static void collectSecretNames(JsonNode node, Set<String> out) {
        if (node.isObject()) {
            for (String ref : List.of("secretRef", "secretKeyRef")) {
                if (node.has(ref) && node.get(ref).has("name")) {
                    out.add(node.get(ref).get("name").asText());
                }
            }
            if (node.has("secret") && node.get("secret").has("secretName")) {
                out.add(node.get("secret").get("secretName").asText());
            }
            if (node.has("secretTargetRef")) {
                node.get("secretTargetRef").forEach(r -> out.add(r.get("name").asText()));
            }
            node.elements().forEachRemaining(c -> collectSecretNames(c, out));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(c -> collectSecretNames(c, out));
        }
    }

    private static JsonNode serving() throws Exception {
        for (JsonNode doc : KubernetesManifestsTest.build("cloud")) {
            if (doc.get("kind").asText().equals("Deployment")
                    && doc.at("/metadata/name").asText().equals("serving")) {
                return doc;
            }
        }
        throw new AssertionError("no serving Deployment in the cloud overlay");
    }

    /** Every .tf file of a module directory (not its submodules), concatenated. */
    private static String text(Path module) throws IOException {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> files = Files.list(module)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tf")).sorted().toList()) {
                out.append(Files.readString(f)).append('\n');
            }
        }
        return out.toString();
    }

    private static Set<String> names(String text, String regex) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
