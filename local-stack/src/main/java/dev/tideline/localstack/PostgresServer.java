package dev.tideline.localstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real PostgreSQL server from Maven Central binaries, configured for logical decoding so that
 * Debezium can stream changes from it.
 */
final class PostgresServer implements AutoCloseable {

    static final String USER = "postgres";
    static final String DATABASE = "postgres";

    private final EmbeddedPostgres postgres;
    private final long postmasterPid;

    private PostgresServer(EmbeddedPostgres postgres, long postmasterPid) {
        this.postgres = postgres;
        this.postmasterPid = postmasterPid;
    }

    static PostgresServer start(Path dataDir, StackReaper reaper) throws IOException {
        EmbeddedPostgres postgres =
                EmbeddedPostgres.builder()
                        .setDataDirectory(dataDir)
                        .setCleanDataDirectory(true)
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("wal_level", "logical")
                        .setServerConfig("max_replication_slots", "16")
                        .setServerConfig("max_wal_senders", "16")
                        .setServerConfig("max_connections", "100")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .start();
        // INT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
        long pid = postmasterPid(dataDir);
        reaper.register("INT", pid);
        return new PostgresServer(postgres, pid);
    }

    private static long postmasterPid(Path dataDir) throws IOException {
        String first =
                Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.US_ASCII)
                        .get(0);
        return Long.parseLong(first.trim());
    }

    int port() {
        return postgres.getPort();
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    @Override
    public void close() throws IOException {
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
}
