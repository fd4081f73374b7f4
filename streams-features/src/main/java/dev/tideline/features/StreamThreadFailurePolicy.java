package dev.tideline.features;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a stream thread dies: it is logged with its cause, counted, and the thread is
 * replaced — unless threads keep dying, in which case the client shuts down so that its supervisor
 * (systemd, Kubernetes) restarts the process and an operator is paged. Bad records never reach this
 * point: {@link DeadLetterHandler} takes them.
 */
public final class StreamThreadFailurePolicy implements StreamsUncaughtExceptionHandler {

    /** The configured response to a failure. */
    public enum Mode {
        REPLACE_THREAD,
        SHUTDOWN_CLIENT,
        SHUTDOWN_APPLICATION;

        static Mode parse(String key, String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        key,
                        value,
                        "expected replace-thread, shutdown-client or shutdown-application");
            }
        }
    }

    private static final Logger log = LoggerFactory.getLogger(StreamThreadFailurePolicy.class);

    private final Mode mode;
    private final int maxReplacements;
    private final Duration period;
    private final FeatureMetrics metrics;
    private final Clock clock;
    private final Deque<Long> recent = new ArrayDeque<>();

    public StreamThreadFailurePolicy(
            Mode mode, int maxReplacements, Duration period, FeatureMetrics metrics, Clock clock) {
        this.mode = mode;
        this.maxReplacements = maxReplacements;
        this.period = period;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        metrics.threadFailure();
        StreamThreadExceptionResponse response = decide();
        log.error(
                "Stream thread {} died; responding with {}",
                Thread.currentThread().getName(),
                response,
                exception);
        return response;
    }

    private StreamThreadExceptionResponse decide() {
        switch (mode) {
            case SHUTDOWN_CLIENT:
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            case SHUTDOWN_APPLICATION:
                return StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
            default:
                long now = clock.millis();
                while (!recent.isEmpty() && recent.peekFirst() < now - period.toMillis()) {
                    recent.removeFirst();
                }
                if (recent.size() >= maxReplacements) {
                    log.error(
                            "{} stream threads replaced within {}: shutting this client down",
                            recent.size(),
                            period);
                    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                }
                recent.addLast(now);
                return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
    }
}
