package dev.tideline.features;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The feature stage's own meters; Kafka Streams' metrics are bound beside them by the app. */
public final class FeatureMetrics {

    private final MeterRegistry registry;
    private final Counter events;
    private final Counter vectors;
    private final Counter merchantCompleted;
    private final Counter late;
    private final Counter repartitioned;
    private final Counter evicted;
    private final Counter threadFailures;
    private final Timer latency;
    private final Timer evictionRuns;
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Map<String, Long> entriesByTask = new ConcurrentHashMap<>();

    public FeatureMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.events =
                Counter.builder("tideline.features.events")
                        .description("Transactions read")
                        .register(registry);
        this.vectors =
                Counter.builder("tideline.features.vectors")
                        .description("Feature vectors written")
                        .register(registry);
        this.merchantCompleted =
                Counter.builder("tideline.features.merchant.completed")
                        .description(
                                "Vectors completed with their merchant features and written (specs"
                                        + " with merchant features)")
                        .register(registry);
        this.late =
                Counter.builder("tideline.features.late.events")
                        .description("Events older than the spec's grace")
                        .register(registry);
        this.repartitioned =
                Counter.builder("tideline.features.repartitioned")
                        .description(
                                "Transactions that arrived on another partition than the Java"
                                        + " client's murmur2 partitioner chooses for their key,"
                                        + " moved to it through the internal topic")
                        .register(registry);
        this.evicted =
                Counter.builder("tideline.features.evicted.entities")
                        .description("Idle entities removed from state")
                        .register(registry);
        this.threadFailures =
                Counter.builder("tideline.features.stream.thread.failures")
                        .description("Stream threads that died with an uncaught exception")
                        .register(registry);
        this.latency =
                Timer.builder("tideline.features.process.latency")
                        .description("Time to compute one vector, state access included")
                        .publishPercentiles(0.5, 0.99)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofNanos(1_000))
                        .maximumExpectedValue(Duration.ofSeconds(1))
                        .register(registry);
        this.evictionRuns =
                Timer.builder("tideline.features.eviction")
                        .description(
                                "Time the stream thread spends in one eviction run of one task:"
                                        + " the stall it adds to that task's events")
                        .register(registry);
        registry.gauge(
                "tideline.features.state.entries",
                entriesByTask,
                m -> m.values().stream().mapToLong(Long::longValue).sum());
    }

    /** Meters on a registry of their own, for tests and tools that do not export them. */
    public static FeatureMetrics standalone() {
        return new FeatureMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    void event() {
        events.increment();
    }

    void vector(long nanos) {
        vectors.increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void completedWithMerchant() {
        merchantCompleted.increment();
    }

    /** Vectors completed with their merchant features and written. */
    public double merchantCompleted() {
        return merchantCompleted.count();
    }

    void repartitioned() {
        repartitioned.increment();
    }

    /** Transactions moved to their entity's owner through the internal topic. */
    public double repartitionedCount() {
        return repartitioned.count();
    }

    void evicted(int n) {
        evicted.increment(n);
    }

    /** One eviction run of an entity task: how long it held the thread and what it removed. */
    void eviction(long nanos, int evicted) {
        evictionRuns.record(nanos, TimeUnit.NANOSECONDS);
        this.evicted.increment(evicted);
    }

    /** The longest eviction run so far, in milliseconds. */
    public double evictionMaxMs() {
        return evictionRuns.max(TimeUnit.MILLISECONDS);
    }

    void stateEntries(String task, long entries) {
        entriesByTask.put(task, entries);
    }

    void taskClosed(String task) {
        entriesByTask.remove(task);
    }

    void threadFailure() {
        threadFailures.increment();
    }

    /** Counts a dead-lettered record; {@code late} ones are also counted on their own. */
    void deadLetter(String reason) {
        deadLetters
                .computeIfAbsent(
                        reason,
                        r ->
                                Counter.builder("tideline.features.dead.letters")
                                        .description(
                                                "Records sent to a dead-letter topic, by reason")
                                        .tag("reason", r)
                                        .register(registry))
                .increment();
        if (RejectedRecordException.LATE.equals(reason)) {
            late.increment();
        }
    }

    public double deadLetters(String reason) {
        Counter c = deadLetters.get(reason);
        return c == null ? 0 : c.count();
    }

    public double vectors() {
        return vectors.count();
    }

    public double evictions() {
        return evicted.count();
    }

    public double threadFailures() {
        return threadFailures.count();
    }
}
