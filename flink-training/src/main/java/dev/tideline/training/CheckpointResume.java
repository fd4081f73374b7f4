package dev.tideline.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the checkpoint a restarted job resumes from: the newest complete retained checkpoint
 * ({@code <job-id>/chk-<n>/_metadata}) under a local checkpoint directory. A job run as its own
 * process, killed and started again, so continues where its last checkpoint left it rather than
 * from the committed Kafka offsets with empty state.
 */
public final class CheckpointResume {

    private CheckpointResume() {}

    /** The newest complete checkpoint under {@code directory} (a {@code file:} URI or a path). */
    public static Optional<URI> latest(String directory) {
        Path root =
                directory.startsWith("file:") ? Path.of(URI.create(directory)) : Path.of(directory);
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(root, 3, (p, a) -> isMetadata(root, p))) {
            return files.max(Comparator.comparing(CheckpointResume::modified))
                    .map(p -> p.getParent().toUri());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look for checkpoints in " + root, e);
        }
    }

    private static boolean isMetadata(Path root, Path p) {
        return p.getFileName().toString().equals("_metadata")
                && p.getParent().getFileName().toString().startsWith("chk-")
                && root.relativize(p).getNameCount() == 3;
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
