package dev.tideline.serving;

import dev.tideline.schemas.avro.ModelRelease;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model serving scores with, swapped without stopping: a release is gated, and only a release
 * newer than the current one that passes every gate replaces it. Batches take the current model
 * with {@link #acquire} and give it back; the replaced model closes when its last batch is done.
 */
public final class ModelSwitch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelSwitch.class);

    /** A model in service and the release it came from. */
    public record Live(OnnxScorer scorer, String name, long version) {}

    private final ModelGates gates;
    private final MeterRegistry registry;
    private final AtomicReference<Live> current = new AtomicReference<>();
    private final AtomicLong version = new AtomicLong(-1);
    private final Counter swaps;

    public ModelSwitch(ModelGates gates, MeterRegistry registry) {
        this.gates = gates;
        this.registry = registry;
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
        Live previous = current.getAndSet(next);
        version.set(release.getVersion());
        swaps.increment();
        log.info(
                "Serving {} v{} on {}",
                release.getModelName(),
                release.getVersion(),
                scorer.device().label());
        if (previous != null) {
            previous.scorer().retire();
        }
        return true;
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

    @Override
    public synchronized void close() {
        Live live = current.getAndSet(null);
        if (live != null) {
            live.scorer().retire();
        }
    }
}
