package dev.tideline.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The repository's {@code docker-compose.yml} as Compose reads it: anchors and merge keys resolved,
 * one {@link Service} per service.
 */
final class Compose {

    /** A service: its image, environment, volumes and the rest of its definition. */
    record Service(String name, Map<String, Object> definition) {

        String image() {
            return (String) definition.getOrDefault("image", "");
        }

        /** Its environment, values as strings (a map or a list of KEY=VALUE). */
        Map<String, String> environment() {
            Object env = definition.get("environment");
            Map<String, String> out = new TreeMap<>();
            if (env instanceof Map<?, ?> m) {
                m.forEach((k, v) -> out.put(k.toString(), v == null ? "" : v.toString()));
            } else if (env instanceof List<?> l) {
                for (Object item : l) {
                    String s = item.toString();
                    int eq = s.indexOf('=');
                    out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
                }
            }
            return out;
        }

        /** The variables a Tideline engine reads: TIDELINE_*, less the launcher's own. */
        Map<String, String> tidelineEnvironment() {
            Map<String, String> out = new TreeMap<>(environment());
            out.keySet()
                    .removeIf(k -> !k.startsWith("TIDELINE_") || k.equals("TIDELINE_JAVA_OPTS"));
            return out;
        }

        /** Short-syntax volumes: {@code source:target[:mode]}. */
        @SuppressWarnings("unchecked")
        List<String> volumes() {
            return (List<String>) definition.getOrDefault("volumes", List.of());
        }

        /** The dockerfile it builds from, relative to the repository root, if it builds. */
        @SuppressWarnings("unchecked")
        Optional<String> dockerfile() {
            Object build = definition.get("build");
            if (build instanceof Map<?, ?> b) {
                Map<String, Object> m = (Map<String, Object>) b;
                Path context = Path.of((String) m.getOrDefault("context", "."));
                return Optional.of(
                        context.resolve((String) m.getOrDefault("dockerfile", "Dockerfile"))
                                .normalize()
                                .toString());
            }
            return Optional.empty();
        }
    }

    private final Map<String, Object> root;
    private final Map<String, Service> services = new LinkedHashMap<>();

    private Compose(Map<String, Object> root) {
        this.root = root;
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> defs =
                (Map<String, Map<String, Object>>) root.get("services");
        defs.forEach((name, def) -> services.put(name, new Service(name, def)));
    }

    /** The repository root: the deploy module's parent. */
    static Path repo() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docker-compose.yml"))
                    && Files.isDirectory(p.resolve("deploy"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + here);
    }

    static Compose load() {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(200);
        try (Reader r = Files.newBufferedReader(repo().resolve("docker-compose.yml"))) {
            return new Compose(new Yaml(options).load(r));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Service> services() {
        return services;
    }

    Service service(String name) {
        Service s = services.get(name);
        if (s == null) {
            throw new AssertionError("docker-compose.yml has no service " + name);
        }
        return s;
    }

    /** Services running an image whose name starts with {@code prefix}. */
    List<Service> running(String prefix) {
        return services.values().stream().filter(s -> s.image().startsWith(prefix)).toList();
    }

    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> secrets() {
        return (Map<String, Map<String, Object>>) root.getOrDefault("secrets", Map.of());
    }
}
