package dev.tideline.connectors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The CDC runner's meters: events by table and operation, dead letters by reason, lag. */
public final class CdcMetrics {

    private final MeterRegistry registry;
    private final AtomicLong lastSourceMs = new AtomicLong(-1);
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();

    public CdcMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(
                        "tideline.cdc.lag.seconds",
                        lastSourceMs,
                        t ->
                                t.get() < 0
                                        ? 0
                                        : Math.max(0, System.currentTimeMillis() - t.get())
                                                / 1000.0)
                .description("Seconds between now and the commit of the newest change captured")
                .register(registry);
    }

    void event(String table, String op) {
        // Looked up once per table and operation, not built per event.
        events.computeIfAbsent(
                        table + '\u0000' + op,
                        k ->
                                Counter.builder("tideline.cdc.events")
                                        .description(
                                                "Change events captured, by table and operation (r"
                                                        + " snapshot, c, u, d)")
                                        .tag("table", table)
                                        .tag("op", op)
                                        .register(registry))
                .increment();
    }

    void deadLetter(String reason) {
        deadLetters
                .computeIfAbsent(
                        reason,
                        r ->
                                Counter.builder("tideline.cdc.dead.letters")
                                        .description("Rows sent to cdc.dlq, by reason")
                                        .tag("reason", r)
                                        .register(registry))
                .increment();
    }

    void sourceTime(long ms) {
        lastSourceMs.accumulateAndGet(ms, Math::max);
    }

    /** Milliseconds between now and the commit time of the newest change seen; -1 before any. */
    public long lagMs() {
        long t = lastSourceMs.get();
        return t < 0 ? -1 : Math.max(0, System.currentTimeMillis() - t);
    }

    public double events(String table, String op) {
        Counter c =
                registry.find("tideline.cdc.events").tag("table", table).tag("op", op).counter();
        return c == null ? 0 : c.count();
    }

    public double deadLetters(String reason) {
        Counter c = registry.find("tideline.cdc.dead.letters").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    public MeterRegistry registry() {
        return registry;
    }
}
