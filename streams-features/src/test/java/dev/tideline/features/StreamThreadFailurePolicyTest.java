package dev.tideline.features;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class StreamThreadFailurePolicyTest {

    private final AtomicReference<Instant> now =
            new AtomicReference<>(Instant.parse("2026-11-23T10:00:00Z"));
    private final Clock clock =
            new Clock() {
                @Override
                public ZoneOffset getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return now.get();
                }
            };
    private final FeatureMetrics metrics = FeatureMetrics.standalone();

    @Test
    void replacesADeadThreadAndCountsIt() {
        var policy =
                new StreamThreadFailurePolicy(
                        StreamThreadFailurePolicy.Mode.REPLACE_THREAD,
                        3,
                        Duration.ofMinutes(10),
                        metrics,
                        clock);

        assertThat(policy.handle(new IllegalStateException("boom"))).isEqualTo(REPLACE_THREAD);
        assertThat(metrics.threadFailures()).isEqualTo(1);
    }

    @Test
    void shutsTheClientDownWhenThreadsKeepDying() {
        var policy =
                new StreamThreadFailurePolicy(
                        StreamThreadFailurePolicy.Mode.REPLACE_THREAD,
                        2,
                        Duration.ofMinutes(10),
                        metrics,
                        clock);

        assertThat(policy.handle(new RuntimeException("1"))).isEqualTo(REPLACE_THREAD);
        assertThat(policy.handle(new RuntimeException("2"))).isEqualTo(REPLACE_THREAD);
        assertThat(policy.handle(new RuntimeException("3"))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(metrics.threadFailures()).isEqualTo(3);
    }

    @Test
    void forgetsFailuresOlderThanThePeriod() {
        var policy =
                new StreamThreadFailurePolicy(
                        StreamThreadFailurePolicy.Mode.REPLACE_THREAD,
                        1,
                        Duration.ofMinutes(10),
                        metrics,
                        clock);

        assertThat(policy.handle(new RuntimeException("1"))).isEqualTo(REPLACE_THREAD);
        now.set(now.get().plus(Duration.ofMinutes(11)));
        assertThat(policy.handle(new RuntimeException("2"))).isEqualTo(REPLACE_THREAD);
    }

    @Test
    void honoursAConfiguredShutdown() {
        assertThat(
                        new StreamThreadFailurePolicy(
                                        StreamThreadFailurePolicy.Mode.SHUTDOWN_APPLICATION,
                                        3,
                                        Duration.ofMinutes(1),
                                        metrics,
                                        clock)
                                .handle(new RuntimeException()))
                .isEqualTo(SHUTDOWN_APPLICATION);
        assertThat(StreamThreadFailurePolicy.Mode.parse("k", "shutdown-client"))
                .isEqualTo(StreamThreadFailurePolicy.Mode.SHUTDOWN_CLIENT);
        assertThatThrownBy(
                        () ->
                                StreamThreadFailurePolicy.Mode.parse(
                                        "tideline.features.on-thread-failure", "restart"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.features.on-thread-failure");
    }
}
