package dev.tideline.simulator;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulator's connection to the database it writes accounts and chargebacks to. A write whose
 * connection is lost (the server restarted, shut down or unreachable) is retried on a new
 * connection with exponential backoff, for about two minutes: the writes are idempotent ({@code ON
 * CONFLICT DO NOTHING}), so a batch whose commit was cut off is simply written again. Any other
 * error is not retried.
 */
final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    /** A write against the current connection. */
    interface Write {
        void to(Connection db) throws SQLException;
    }

    private final String url;
    private final String user;
    private final String password;
    private final Retry retry;
    private Connection connection;

    Database(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.retry =
                Retry.of(
                        "simulator-database",
                        RetryConfig.custom()
                                .maxAttempts(70)
                                .intervalFunction(
                                        IntervalFunction.ofExponentialBackoff(
                                                Duration.ofMillis(100), 2, Duration.ofSeconds(2)))
                                .retryOnException(Database::connectionLost)
                                .build());
        retry.getEventPublisher()
                .onRetry(
                        e ->
                                log.warn(
                                        "Database connection lost ({}); writing again, attempt {}",
                                        e.getLastThrowable().getMessage(),
                                        e.getNumberOfRetryAttempts() + 1));
    }

    /** Runs {@code write}, on a new connection after a lost one. */
    void write(Write write) throws SQLException {
        try {
            retry.executeCheckedSupplier(
                    () -> {
                        try {
                            write.to(connection());
                            return null;
                        } catch (SQLException e) {
                            if (connectionLost(e)) {
                                discard();
                            }
                            throw e;
                        }
                    });
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether {@code e} says the connection is gone rather than that the statement failed: SQL
     * states of class 08 (connection exception) and 57P (the server shutting down or restarting).
     */
    static boolean connectionLost(Throwable e) {
        if (!(e instanceof SQLException sql)) {
            return false;
        }
        String state = sql.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P"));
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = DriverManager.getConnection(url, user, password);
        }
        return connection;
    }

    private void discard() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing a lost connection", e);
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        discard();
    }
}
