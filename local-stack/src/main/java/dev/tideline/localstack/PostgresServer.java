package dev.tideline.localstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from Maven Central binaries, configured for logical decoding so that
 * Debezium can stream changes from it.
 */
final class PostgresServer implements AutoCloseable {

    static final String USER = "postgres";
    static final String DATABASE = "postgres";

    private final Path dataDir;
    private final StackReaper reaper;
    private EmbeddedPostgres postgres;
    private long postmasterPid;

    private PostgresServer(Path dataDir, StackReaper reaper) {
        this.dataDir = dataDir;
        this.reaper = reaper;
    }

    /** Starts a new cluster in {@code dataDir}: whatever the directory held is removed first. */
    static PostgresServer start(Path dataDir, StackReaper reaper) throws IOException {
        deleteRecursively(dataDir);
        PostgresServer server = new PostgresServer(dataDir, reaper);
        server.startOn(0);
        return server;
    }

    /** Starts the postmaster on this cluster's data, on {@code port} (0: any free one). */
    private void startOn(int port) throws IOException {
        EmbeddedPostgres.Builder builder =
                EmbeddedPostgres.builder()
                        .setDataDirectory(dataDir)
                        // Not cleaned on close, so that a restart finds the data; close() removes
                        // it.
                        .setCleanDataDirectory(false)
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("wal_level", "logical")
                        .setServerConfig("max_replication_slots", "16")
                        .setServerConfig("max_wal_senders", "16")
                        .setServerConfig("max_connections", "100")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off");
        if (port > 0) {
            builder.setPort(port);
        }
        postgres = builder.start();
        // INT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
        postmasterPid = postmasterPid(dataDir);
        reaper.register("INT", postmasterPid);
    }

    /**
     * Stops the server (a fast shutdown: sessions are disconnected, as a database restart does to
     * its clients) and starts it again on the same data and port.
     */
    synchronized void restart() throws IOException {
        int port = postgres.getPort();
        stop();
        startOn(port);
    }

    private static long postmasterPid(Path dataDir) throws IOException {
        String first =
                Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.US_ASCII)
                        .get(0);
        return Long.parseLong(first.trim());
    }

    synchronized int port() {
        return postgres.getPort();
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    @Override
    public synchronized void close() throws IOException {
        stop();
        deleteRecursively(dataDir);
    }

    private void stop() throws IOException {
        postgres.close();
        // pg_ctl returns once the pid file is gone, a moment before the postmaster exits.
        ProcessHandle.of(postmasterPid)
                .ifPresent(
                        p -> {
                            try {
                                p.onExit().get(10, TimeUnit.SECONDS);
                            } catch (TimeoutException e) {
                                p.destroyForcibly();
                            } catch (ExecutionException e) {
                                throw new IllegalStateException(e);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
