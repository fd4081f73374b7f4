package dev.tideline.cli;

import dev.tideline.features.FeatureSpec;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Starts the training job in its own JVM ({@link ModuleJvm#TRAINING}), in a Flink MiniCluster, with
 * the CLI's settings.
 */
final class TrainingProcess {

    static final String MAIN = "dev.tideline.training.TrainingMain";
    static final String PREFIX = "tideline.training.";

    private TrainingProcess() {}

    /**
     * The job's settings from the CLI's: connection, topics and {@code tideline.training.*}; the
     * spec's fingerprint and width default to the built-in spec's.
     */
    static Map<String, String> settings(Map<String, String> engineValues) {
        Map<String, String> out = new TreeMap<>();
        engineValues.forEach(
                (k, v) -> {
                    if (k.startsWith(PREFIX)
                            || k.startsWith("tideline.kafka.")
                            || k.startsWith("tideline.registry.")
                            || k.startsWith("tideline.topics.")) {
                        out.put(k, v);
                    }
                });
        FeatureSpec spec = Settings.featureSpec(engineValues);
        out.putIfAbsent(PREFIX + "spec-id", spec.id());
        out.putIfAbsent(PREFIX + "spec-version", String.valueOf(spec.version()));
        out.putIfAbsent(PREFIX + "spec-fingerprint", spec.fingerprint());
        out.putIfAbsent(PREFIX + "input-width", String.valueOf(spec.size()));
        return out;
    }

    /**
     * Starts {@code TrainingMain} from the built jar with these settings; its output is ours. The
     * settings go through {@code settingsFile} (written readable by this user only), not the
     * command line, which any user of the machine can read: they may hold credentials.
     */
    static Process start(Path jar, Map<String, String> settings, Path settingsFile)
            throws IOException {
        return start(jar, settings, settingsFile, null);
    }

    /** As {@link #start(Path, Map, Path)}, its output appended to {@code log} (ours when null). */
    static Process start(Path jar, Map<String, String> settings, Path settingsFile, Path log)
            throws IOException {
        Properties properties = new Properties();
        properties.putAll(settings);
        Files.deleteIfExists(settingsFile);
        Files.createFile(
                settingsFile,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer out = Files.newBufferedWriter(settingsFile, StandardCharsets.UTF_8)) {
            properties.store(out, "tideline training settings");
        }
        return ModuleJvm.TRAINING.start(
                jar, MAIN, List.of("--config", settingsFile.toString()), log);
    }
}
