package dev.tideline.serving;

import dev.tideline.schemas.avro.ModelRelease;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
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
 *
 * <p>In shadow mode a release that passes its gates first scores alongside the model in service for
 * a number of vectors ({@link #acquireShadow}, {@link #reportShadow}); how often the two disagree
 * is a metric, and the shadow is promoted once it has scored enough vectors without failing. A
 * release whose artifact store was unreachable is kept and offered again ({@link #retryPending}).
 */
public final class ModelSwitch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelSwitch.class);

    /** A model in service and the release it came from. */
    public record Live(OnnxScorer scorer, String name, long version) {}

    /**
     * How a release scores in the shadow of the model in service before it replaces it: for {@code
     * events} vectors, counting a disagreement when the two fall on different sides of {@code
     * threshold}; a shadow that disagreed on more than {@code maxDisagreement} of them is refused.
     */
    public record ShadowSettings(long events, double threshold, double maxDisagreement) {

        /** Promotes a shadow whatever its disagreement. */
        public ShadowSettings(long events, double threshold) {
            this(events, threshold, 1.0);
        }

        public static ShadowSettings off() {
            return new ShadowSettings(0, 0.5);
        }

        public boolean enabled() {
            return events > 0;
        }
    }

    /** A release scoring in the shadow of the model in service. */
    private static final class Shadow {
        final Live live;
        long scored;
        long disagreed;

        Shadow(Live live) {
            this.live = live;
        }
    }

    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);

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
    private final ShadowSettings shadowSettings;
    private final AtomicReference<Shadow> shadow = new AtomicReference<>();
    private final Counter shadowCompared;
    private final Counter shadowDisagreed;
    private final DistributionSummary championScores;
    private final DistributionSummary shadowScores;
    private final AtomicReference<Double> shadowDisagreement = new AtomicReference<>(Double.NaN);
    private ModelRelease retry;
    private long retryAfterMs;
    private final Counter revocations;
    private volatile RollbackListener rollbackListener = (model, version, reason) -> {};

    /** Told when this replica rolls a release back, so that the whole fleet can revoke it. */
    @FunctionalInterface
    public interface RollbackListener {
        void rolledBack(String model, long version, String reason);
    }

    public ModelSwitch(ModelGates gates, MeterRegistry registry) {
        this(gates, registry, 3, Duration.ofMinutes(1), ShadowSettings.off());
    }

    public ModelSwitch(
            ModelGates gates,
            MeterRegistry registry,
            int rollbackFailures,
            Duration rollbackWindow) {
        this(gates, registry, rollbackFailures, rollbackWindow, ShadowSettings.off());
    }

    /**
     * @param rollbackFailures failed batches within {@code rollbackWindow} that send serving back
     *     to the previous model
     * @param shadow whether, and for how many vectors, a new release scores in the shadow of the
     *     model in service before it replaces it
     */
    public ModelSwitch(
            ModelGates gates,
            MeterRegistry registry,
            int rollbackFailures,
            Duration rollbackWindow,
            ShadowSettings shadow) {
        this.gates = gates;
        this.shadowSettings = shadow;
        this.shadowCompared =
                Counter.builder("tideline.serving.shadow.compared")
                        .description("Vectors scored by both the model in service and a shadow")
                        .register(registry);
        this.championScores = scores(registry, "champion");
        this.shadowScores = scores(registry, "shadow");
        this.shadowDisagreed =
                Counter.builder("tideline.serving.shadow.disagreed")
                        .description(
                                "Vectors the shadow put on the other side of the decision"
                                        + " threshold")
                        .register(registry);
        Gauge.builder(
                        "tideline.serving.shadow.disagreement",
                        shadowDisagreement,
                        AtomicReference::get)
                .description(
                        "Disagreement rate of the current (or last) shadow with the model in"
                                + " service; NaN before any")
                .register(registry);
        this.registry = registry;
        this.rollbackFailures = rollbackFailures;
        this.rollbackWindow = rollbackWindow;
        this.rollbacks =
                Counter.builder("tideline.serving.model.rollbacks")
                        .description("Models rolled back after failing in service")
                        .register(registry);
        this.revocations =
                Counter.builder("tideline.serving.model.revocations")
                        .description(
                                "Releases revoked fleet-wide (by a replica's rollback or by hand)"
                                        + " that this replica stopped serving or will never load")
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

    /**
     * Gates a release and, when it passes, swaps to it (or, in shadow mode with a model in service,
     * starts scoring it in the shadow). True when it is accepted.
     */
    public synchronized boolean offer(ModelRelease release) {
        Live live = current.get();
        Shadow sh = shadow.get();
        if (banned.contains(release.getVersion())) {
            log.debug(
                    "Ignoring {} v{}: it was rolled back",
                    release.getModelName(),
                    release.getVersion());
            return false;
        }
        long newest =
                Math.max(live == null ? -1 : live.version(), sh == null ? -1 : sh.live.version());
        if (release.getVersion() <= newest) {
            log.debug(
                    "Ignoring {} v{}: v{} is in service or in the shadow",
                    release.getModelName(),
                    release.getVersion(),
                    newest);
            return false;
        }
        if (retry != null && retry.getVersion() <= release.getVersion()) {
            retry = null; // superseded
        }
        ModelGates.Verdict verdict = gates.check(release);
        if (verdict instanceof ModelGates.Refused refused) {
            countRefusal(refused.gate());
            if (refused.retryable()) {
                retry = release;
                retryAfterMs = System.currentTimeMillis() + RETRY_EVERY.toMillis();
            }
            return false;
        }
        OnnxScorer scorer = ((ModelGates.Accepted) verdict).scorer();
        Live next = new Live(scorer, release.getModelName(), release.getVersion());
        if (shadowSettings.enabled() && live != null) {
            Shadow replaced = shadow.getAndSet(new Shadow(next));
            if (replaced != null) {
                replaced.live.scorer().retire();
            }
            log.info(
                    "Scoring {} v{} in the shadow of v{} for {} vectors",
                    release.getModelName(),
                    release.getVersion(),
                    live.version(),
                    shadowSettings.events());
            return true;
        }
        promote(next);
        return true;
    }

    private void promote(Live next) {
        Live replaced = current.getAndSet(next);
        version.set(next.version());
        swaps.increment();
        failures.clear();
        log.info(
                "Serving {} v{} on {}",
                next.name(),
                next.version(),
                next.scorer().device().label());
        if (previous != null) {
            previous.scorer().retire();
        }
        previous = replaced;
    }

    /**
     * Offers again a release refused because its artifact could not be fetched, when one waits and
     * its retry time has come; the model watcher calls this between polls.
     */
    public void retryPending() {
        ModelRelease again;
        synchronized (this) {
            if (retry == null || System.currentTimeMillis() < retryAfterMs) {
                return;
            }
            again = retry;
            retry = null;
        }
        offer(again);
    }

    /** The version scoring in the shadow, or -1 when there is none. */
    public long shadowVersion() {
        Shadow sh = shadow.get();
        return sh == null ? -1 : sh.live.version();
    }

    /** The release scoring in the shadow, acquired for one batch; null when there is none. */
    public Live acquireShadow() {
        Shadow sh = shadow.get();
        if (sh == null || !sh.live.scorer().acquire()) {
            return null;
        }
        return sh.live;
    }

    /**
     * Reports a batch the shadow scored: {@code rows} vectors, of which {@code disagreed} fell on
     * the other side of the threshold from the model in service, or {@code failed} when it raised
     * an error or scored outside [0, 1]. A failing shadow is dropped and never offered again; one
     * that has scored enough vectors is promoted.
     */
    public synchronized void reportShadow(Live live, long rows, long disagreed, boolean failed) {
        Shadow sh = shadow.get();
        if (sh == null || sh.live != live) {
            return; // replaced meanwhile
        }
        if (failed) {
            shadow.set(null);
            banned.add(live.version());
            countRefusal(Gate.SHADOW);
            log.warn("Shadow {} v{} failed while scoring: dropped", live.name(), live.version());
            live.scorer().retire();
            return;
        }
        sh.scored += rows;
        sh.disagreed += disagreed;
        shadowCompared.increment(rows);
        shadowDisagreed.increment(disagreed);
        shadowDisagreement.set((double) sh.disagreed / sh.scored);
        if (sh.scored >= shadowSettings.events()) {
            shadow.set(null);
            double rate = (double) sh.disagreed / sh.scored;
            if (rate > shadowSettings.maxDisagreement()) {
                banned.add(live.version());
                countRefusal(Gate.SHADOW_DISAGREEMENT);
                log.warn(
                        "Shadow {} v{} disagreed on {} of {} vectors, more than the {} allowed:"
                                + " refused",
                        live.name(),
                        live.version(),
                        sh.disagreed,
                        sh.scored,
                        shadowSettings.maxDisagreement());
                live.scorer().retire();
                return;
            }
            log.info(
                    "Shadow {} v{} disagreed on {} of {} vectors: promoting it",
                    live.name(),
                    live.version(),
                    sh.disagreed,
                    sh.scored);
            promote(live);
        }
    }

    /**
     * Records the scores of one batch that the shadow scored beside the model in service, so the
     * two distributions can be compared ({@code tideline_serving_shadow_scores{model=...}}).
     */
    public void recordShadowScores(float[] served, float[] shadowed, int rows) {
        for (int i = 0; i < rows; i++) {
            championScores.record(served[i]);
            shadowScores.record(shadowed[i]);
        }
    }

    private static DistributionSummary scores(MeterRegistry registry, String model) {
        return DistributionSummary.builder("tideline.serving.shadow.scores")
                .description(
                        "Scores of the vectors a shadow scored, by the model in service (champion)"
                                + " and by the shadow")
                .tag("model", model)
                .publishPercentiles(0.1, 0.5, 0.9, 0.99)
                .register(registry);
    }

    private void countRefusal(Gate gate) {
        Counter.builder("tideline.serving.model.refusals")
                .description("Releases refused, by gate")
                .tag("gate", gate.label())
                .register(registry)
                .increment();
    }

    /** The score at or above which a vector counts as flagged, for shadow disagreement. */
    public double shadowThreshold() {
        return shadowSettings.threshold();
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
        int failed = failures.size();
        String back = previous == null ? "the fallback score" : "v" + previous.version();
        rollBack(live);
        rollbacks.increment();
        String reason = failed + " failed batches within " + rollbackWindow;
        log.warn(
                "Model {} v{} failed {} batches within {}: rolled back to {}",
                live.name(),
                live.version(),
                failed,
                rollbackWindow,
                back);
        rollbackListener.rolledBack(live.name(), live.version(), reason);
    }

    /** Bans the model in service and puts the previous one (or the fallback) back in service. */
    private void rollBack(Live live) {
        banned.add(live.version());
        current.set(previous);
        version.set(previous == null ? -1 : previous.version());
        live.scorer().retire();
        previous = null;
        failures.clear();
    }

    /** Who to tell when this replica rolls a release back. */
    public void onRollback(RollbackListener listener) {
        this.rollbackListener = listener;
    }

    /**
     * Revokes {@code version} (a revocation read from the fleet's topic): it is never loaded again,
     * and if it is in service, in the shadow or kept for rollback here it leaves at once; in
     * service it is replaced by the previous model (or the fallback). True when this replica held
     * it.
     */
    public synchronized boolean revoke(long version, String reason) {
        if (!banned.add(version)) {
            return false;
        }
        boolean held = false;
        Live live = current.get();
        if (live != null && live.version() == version) {
            String back = previous == null ? "the fallback score" : "v" + previous.version();
            rollBack(live);
            log.warn("Model {} v{} revoked ({}): back to {}", live.name(), version, reason, back);
            held = true;
        }
        Shadow sh = shadow.get();
        if (sh != null && sh.live.version() == version) {
            shadow.set(null);
            sh.live.scorer().retire();
            held = true;
        }
        if (previous != null && previous.version() == version) {
            previous.scorer().retire();
            previous = null;
            held = true;
        }
        if (retry != null && retry.getVersion() == version) {
            retry = null;
        }
        revocations.increment();
        return held;
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
        Shadow sh = shadow.getAndSet(null);
        if (sh != null) {
            sh.live.scorer().retire();
        }
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
