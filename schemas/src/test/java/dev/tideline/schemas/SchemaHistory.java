package dev.tideline.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.avro.Schema;

/**
 * The contracts as they are now ({@code src/main/avro}) and as released ({@code history/v<N>/}),
 * for compatibility tests.
 */
final class SchemaHistory {

    private SchemaHistory() {}

    static Path currentDir() {
        return Path.of(System.getProperty("tideline.schemas.current", "src/main/avro"));
    }

    static Path historyDir() {
        return Path.of(System.getProperty("tideline.schemas.history", "history"));
    }

    static List<Path> currentFiles() {
        try (Stream<Path> files = Files.list(currentDir())) {
            return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest released version of a contract file, by its file name. */
    static Optional<Path> latestRelease(String fileName) {
        try (Stream<Path> releases = Files.list(historyDir())) {
            return releases.filter(p -> p.getFileName().toString().matches("v\\d+"))
                    .sorted(
                            Comparator.comparingInt(
                                            (Path p) ->
                                                    Integer.parseInt(
                                                            p.getFileName()
                                                                    .toString()
                                                                    .substring(1)))
                                    .reversed())
                    .map(p -> p.resolve(fileName))
                    .filter(Files::isRegularFile)
                    .findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Schema parse(Path file) {
        try {
            return new Schema.Parser().parse(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Schema resource(String name) {
        try (var in = SchemaHistory.class.getResourceAsStream(name)) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
