package dev.tideline.serving;

import dev.tideline.schemas.avro.ModelRelease;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model serving scores with, swapped without stopping: a release is gated, and only a release
 * newer than the current one that passes every gate replaces it. Batches take the current model
 * with {@link #acquire} and give it back. The model it replaced stays loaded, so that a release
 * that fails in service can be rolled back; the one before that closes when its last batch is done.
 */
public final class ModelSwitch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelSwitch.class);

    /** A model in service and the release it came from. */
    public record Live(OnnxScorer scorer, String name, long version) {}

    private final ModelGates gates;
    private final MeterRegistry registry;
    private final AtomicReference<Live> current = new AtomicReference<>();

    /** The model before the current one, kept loaded so a failing release can be rolled back. */
    private Live previous;

    private final Set<Long> banned = new HashSet<>();
    private final Deque<Long> failures = new ArrayDeque<>();
    private final int rollbackFailures;
    private final Duration rollbackWindow;
    private final Counter rollbacks;
    private final AtomicLong version = new AtomicLong(-1);
    private final Counter swaps;

    public ModelSwitch(ModelGates gates, MeterRegistry registry) {
        this(gates, registry, 3, Duration.ofMinutes(1));
    }

    /**
     * @param rollbackFailures failed batches within {@code rollbackWindow} that send serving back
     *     to the previous model
     */
    public ModelSwitch(
            ModelGates gates,
            MeterRegistry registry,
            int rollbackFailures,
            Duration rollbackWindow) {
        this.gates = gates;
        this.registry = registry;
        this.rollbackFailures = rollbackFailures;
        this.rollbackWindow = rollbackWindow;
        this.rollbacks =
                Counter.builder("tideline.serving.model.rollbacks")
                        .description("Models rolled back after failing in service")
                        .register(registry);
        this.swaps =
                Counter.builder("tideline.serving.model.swaps")
                        .description("Models swapped in")
                        .register(registry);
        Gauge.builder("tideline.serving.model.version", version, AtomicLong::get)
                .description("Version of the model in service; -1 before any")
                .register(registry);
        Gauge.builder(
                        "tideline.serving.model.on.cuda",
                        current,
                        c ->
                                c.get() != null && c.get().scorer().device() == ScoringDevice.CUDA
                                        ? 1
                                        : 0)
                .description("1 when the model in service runs on CUDA, 0 on the CPU")
                .register(registry);
    }

    /** Gates a release and swaps to it when it passes; true when it is now in service. */
    public synchronized boolean offer(ModelRelease release) {
        Live live = current.get();
        if (banned.contains(release.getVersion())) {
            log.debug(
                    "Ignoring {} v{}: it was rolled back",
                    release.getModelName(),
                    release.getVersion());
            return false;
        }
        if (live != null && release.getVersion() <= live.version()) {
            log.debug(
                    "Ignoring {} v{}: v{} is in service",
                    release.getModelName(),
                    release.getVersion(),
                    live.version());
            return false;
        }
        ModelGates.Verdict verdict = gates.check(release);
        if (verdict instanceof ModelGates.Refused refused) {
            Counter.builder("tideline.serving.model.refusals")
                    .description("Releases refused, by gate")
                    .tag("gate", refused.gate().label())
                    .register(registry)
                    .increment();
            return false;
        }
        OnnxScorer scorer = ((ModelGates.Accepted) verdict).scorer();
        Live next = new Live(scorer, release.getModelName(), release.getVersion());
        Live replaced = current.getAndSet(next);
        version.set(release.getVersion());
        swaps.increment();
        failures.clear();
        log.info(
                "Serving {} v{} on {}",
                release.getModelName(),
                release.getVersion(),
                scorer.device().label());
        if (previous != null) {
            previous.scorer().retire();
        }
        previous = replaced;
        return true;
    }

    /**
     * Reports that a batch scored by {@code live} failed (an error, or scores that are not finite
     * or outside [0, 1]). Enough failures within the window roll serving back to the previous model
     * (or the fallback, when there is none) and ban the failing version for good.
     */
    public synchronized void reportFailure(Live live, long nowMs) {
        Live now = current.get();
        if (now == null || now.version() != live.version()) {
            return; // already replaced
        }
        while (!failures.isEmpty() && failures.peekFirst() < nowMs - rollbackWindow.toMillis()) {
            failures.removeFirst();
        }
        failures.addLast(nowMs);
        if (failures.size() < rollbackFailures) {
            return;
        }
        banned.add(live.version());
        current.set(previous);
        version.set(previous == null ? -1 : previous.version());
        rollbacks.increment();
        log.warn(
                "Model {} v{} failed {} batches within {}: rolled back to {}",
                live.name(),
                live.version(),
                failures.size(),
                rollbackWindow,
                previous == null ? "the fallback score" : "v" + previous.version());
        live.scorer().retire();
        previous = null;
        failures.clear();
    }

    /** The model in service, acquired for one batch; null when there is none (use the fallback). */
    public Live acquire() {
        while (true) {
            Live live = current.get();
            if (live == null) {
                return null;
            }
            if (live.scorer().acquire()) {
                return live;
            }
            // Retired between the read and the acquire: the next read sees its successor.
        }
    }

    public long version() {
        return version.get();
    }

    /** The device of the model in service ({@code none} without one), for reports. */
    public String deviceLabel() {
        Live live = current.get();
        return live == null ? "none" : live.scorer().device().label();
    }

    @Override
    public synchronized void close() {
        Live live = current.getAndSet(null);
        if (live != null) {
            live.scorer().retire();
        }
        if (previous != null) {
            previous.scorer().retire();
            previous = null;
        }
    }
}
