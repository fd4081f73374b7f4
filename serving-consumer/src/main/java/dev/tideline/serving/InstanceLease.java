package dev.tideline.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's instance id, reserved on this host by a lock file for as long as the replica lives.
 *
 * <p>The id makes the replica's transactional id, so it must be the same after a restart: the new
 * producer then fences its previous incarnation and aborts the transaction it left open at once,
 * instead of leaving every {@code read_committed} reader of the predictions stalled until the
 * transaction times out. A configured id is taken as it is; without one, the replica takes {@code
 * <host>-<n>} with the lowest {@code n} no live replica on this host holds, so a replica that
 * restarts gets back the slot its dead self released (the operating system releases the lock of a
 * killed process). In a container or a StatefulSet pod the host name is the container's or the
 * pod's own, so the id is {@code <pod>-0}. Two live replicas on one host can never claim one id:
 * the second refuses to start.
 */
final class InstanceLease implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InstanceLease.class);

    /** More slots than replicas anyone runs on one host; past them something is wrong. */
    static final int MAX_SLOTS = 1024;

    private final String id;
    private final FileChannel channel;
    private final FileLock lock;

    private InstanceLease(String id, FileChannel channel, FileLock lock) {
        this.id = id;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Claims {@code configured}, or when it is blank the first free {@code <host>-<n>}.
     *
     * @throws ConfigException naming {@link ServingConfig#INSTANCE_ID} when a live replica on this
     *     host holds the configured id
     */
    static InstanceLease claim(Path dir, String configured, String host) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException(
                    ServingConfig.STATE_DIR, dir.toString(), "cannot be created: " + e);
        }
        if (!configured.isBlank()) {
            InstanceLease lease = tryClaim(dir, configured);
            if (lease == null) {
                throw new ConfigException(
                        ServingConfig.INSTANCE_ID,
                        configured,
                        "is held by another live replica on this host (lock "
                                + lockFile(dir, configured)
                                + "); give each replica its own id");
            }
            return lease;
        }
        String prefix = sanitize(host);
        for (int n = 0; n < MAX_SLOTS; n++) {
            InstanceLease lease = tryClaim(dir, prefix + "-" + n);
            if (lease != null) {
                log.info("Instance id {} (lock {})", lease.id, lockFile(dir, lease.id));
                return lease;
            }
        }
        throw new ConfigException(
                ServingConfig.INSTANCE_ID,
                "",
                "no free instance slot among " + MAX_SLOTS + " in " + dir + "; set an id");
    }

    /** This host's name, as a container or pod knows itself. */
    static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    String id() {
        return id;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            log.warn("Could not release the instance lock of {}: {}", id, e.toString());
        }
    }

    private static InstanceLease tryClaim(Path dir, String id) {
        Path file = lockFile(dir, id);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the instance lock " + file, e);
        }
        FileLock lock = null;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held by another replica in this JVM.
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock the instance lock " + file, e);
        }
        if (lock == null) {
            closeQuietly(channel);
            return null;
        }
        return new InstanceLease(id, channel, lock);
    }

    private static Path lockFile(Path dir, String id) {
        return dir.resolve(sanitize(id) + ".lock");
    }

    /** Keeps what a transactional id and a file name both take. */
    static String sanitize(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing was locked through it.
        }
    }
}
