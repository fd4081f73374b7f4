package dev.tideline.localstack;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the Apicurio registry distribution Maven downloaded and unpacks it once into a cache
 * directory shared by every stack on the machine.
 */
final class RegistryDistribution {

    private static final Logger log = LoggerFactory.getLogger(RegistryDistribution.class);
    private static final String MARKER = ".unpacked";

    private RegistryDistribution() {}

    /**
     * Returns the runner jar of the unpacked distribution, unpacking it first if needed.
     *
     * @param tarball an explicit tarball, or null for the one the build recorded
     * @param cacheRoot where unpacked distributions live
     */
    static Path runnerJar(Path tarball, Path cacheRoot) throws IOException {
        Properties recorded = recorded();
        String version = recorded.getProperty("version");
        Path source = tarball != null ? tarball : locateTarball(recorded);
        Path home = cacheRoot.resolve("apicurio-registry-app-" + version);
        if (!Files.exists(home.resolve(MARKER))) {
            unpack(source, home);
        }
        Path runner = home.resolve("apicurio-registry-app-" + version + "-runner.jar");
        if (!Files.isRegularFile(runner)) {
            throw new LocalStackException(
                    "the registry distribution at " + home + " has no " + runner.getFileName());
        }
        return runner;
    }

    private static Properties recorded() throws IOException {
        Properties props = new Properties();
        try (InputStream in =
                RegistryDistribution.class.getResourceAsStream(
                        "registry-distribution.properties")) {
            if (in == null) {
                throw new LocalStackException(
                        "registry-distribution.properties is missing from the local-stack jar;"
                                + " rebuild it with Maven");
            }
            props.load(in);
        }
        return props;
    }

    private static Path locateTarball(Properties recorded) {
        String version = recorded.getProperty("version");
        String path = recorded.getProperty("path", "");
        if (!path.isEmpty() && !path.startsWith("${") && Files.isRegularFile(Path.of(path))) {
            return Path.of(path);
        }
        // The jar may have been built on another machine: fall back to the default repository.
        String repo =
                System.getProperty(
                        "maven.repo.local",
                        Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        Path fallback =
                Path.of(
                        repo,
                        "io/apicurio/apicurio-registry-app",
                        version,
                        "apicurio-registry-app-" + version + "-all.tar.gz");
        if (Files.isRegularFile(fallback)) {
            return fallback;
        }
        throw new LocalStackException(
                "cannot find the Apicurio registry distribution (looked at "
                        + path
                        + " and "
                        + fallback
                        + "); run 'mvn -pl local-stack dependency:resolve' or set"
                        + " tideline.stack.registry.distribution");
    }

    private static void unpack(Path tarball, Path home) throws IOException {
        long started = System.nanoTime();
        Files.createDirectories(home.getParent());
        Path staging = Files.createTempDirectory(home.getParent(), home.getFileName() + ".tmp");
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tarball), 1 << 16);
                TarArchiveInputStream tar =
                        new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path target = staging.resolve(entry.getName()).normalize();
                if (!target.startsWith(staging)) {
                    throw new LocalStackException(
                            "refusing tar entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.createFile(staging.resolve(MARKER));
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException
                    | DirectoryNotEmptyException
                    | AtomicMoveNotSupportedException e) {
                // Another process unpacked it first; keep theirs.
                if (!Files.exists(home.resolve(MARKER))) {
                    throw e;
                }
            }
            log.info(
                    "unpacked the registry distribution to {} in {} ms",
                    home,
                    (System.nanoTime() - started) / 1_000_000);
        } finally {
            deleteRecursively(staging);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
