package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the tiled state against a brute-force oracle that keeps every event: on random streams
 * with out-of-order events and events on tile and window boundaries, each tiled window equals the
 * oracle over the tiles it promises, and that span is the sliding window to within one tile. The
 * oracle is the definition the README gives under "Order within the grace": an out-of-order event's
 * windows count every event processed so far whose tile is not after its own, and its history
 * features read the events processed before it.
 */
class TiledWindowOracleTest {

    private static final String SPEC =
            """
            id: oracle
            version: 1
            tiles_per_window: 6
            grace: PT30S
            windows:
              - {name: 1m, size: PT1M}
              - {name: 12m, size: PT12M}
            features:
              - {name: n, kind: window, agg: count, windows: [1m, 12m]}
              - {name: sum, kind: window, agg: sum, field: amount, windows: [1m, 12m]}
              - {name: mean, kind: window, agg: mean, field: amount, windows: [1m, 12m], default: -1}
              - {name: min, kind: window, agg: min, field: amount, windows: [1m, 12m], default: -1}
              - {name: max, kind: window, agg: max, field: amount, windows: [1m, 12m], default: -1}
              - {name: sd, kind: window, agg: stddev, field: amount, windows: [1m, 12m], default: -1}
              - {name: merchants, kind: window, agg: distinct, field: merchant_id, windows: [12m], sketch_bits: 512}
              - {name: eco, kind: window, agg: ratio, where: {field: channel, in: [ECOMMERCE]}, windows: [1m, 12m], default: -1}
              - {name: big, kind: window, agg: count, where: {field: amount, gte: 50}, windows: [12m]}
              - {name: since, kind: entity, fn: time_since_last, default: -1}
              - {name: z, kind: entity, fn: zscore, field: amount, default: 0}
              - {name: last, kind: entity, fn: last, field: amount, default: -1}
            """;

    private final FeatureSpec spec = FeatureSpec.parse(SPEC, "oracle.yaml");
    private final FeatureComputer computer = new FeatureComputer(spec);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void tiledWindowsMatchTheOracle(long seed) {
        Random random = new Random(seed);
        byte[] state = computer.layout().newState();
        List<Event> accepted = new ArrayList<>();
        long clock = Long.MIN_VALUE;
        long t = 1_700_000_000_000L - 1_700_000_000_000L % 60_000; // on a window boundary
        int late = 0;
        for (int i = 0; i < 2_000; i++) {
            t += random.nextInt(4) == 0 ? 0 : random.nextInt(25_000);
            long eventTime = t;
            if (random.nextInt(5) == 0) {
                eventTime -= random.nextInt(45_000); // out of order; some beyond the grace
            }
            if (random.nextInt(10) == 0) {
                eventTime -= Math.floorMod(eventTime, 10_000); // exactly on a tile edge
            }
            Event e = event(random, eventTime);
            if (clock != Long.MIN_VALUE && eventTime < clock - spec.grace().toMillis()) {
                late++;
                continue;
            }
            clock = Math.max(clock, eventTime);
            List<Event> before = List.copyOf(accepted);
            accepted.add(e);
            float[] v = computer.apply(state, e, null);
            checkWindows(v, e, accepted);
            checkEntity(v, e, before);
        }
        assertThat(late).as("the stream exercises the grace").isPositive();
        assertThat(computer.layout().bytesPerEntity()).isEqualTo(state.length);
    }

    private void checkWindows(float[] v, Event e, List<Event> accepted) {
        for (Window w : spec.windows()) {
            long k = w.tileOf(e.eventTime());
            List<Event> in =
                    accepted.stream()
                            .filter(x -> w.tileOf(x.eventTime()) > k - w.tiles())
                            .filter(x -> w.tileOf(x.eventTime()) <= k)
                            .toList();
            String s = "_" + w.name();
            assertThat(v[idx("n" + s)]).as("count %s", w.name()).isEqualTo(in.size());
            double sum = in.stream().mapToDouble(Event::amount).sum();
            assertThat((double) v[idx("sum" + s)]).isCloseTo(sum, within(1e-4 * Math.max(1, sum)));
            double mean = in.isEmpty() ? -1 : sum / in.size();
            assertThat((double) v[idx("mean" + s)])
                    .isCloseTo(mean, within(1e-4 * Math.max(1, mean)));
            double min = in.stream().mapToDouble(Event::amount).min().orElse(-1);
            double max = in.stream().mapToDouble(Event::amount).max().orElse(-1);
            assertThat((double) v[idx("min" + s)]).isCloseTo(min, within(1e-3));
            assertThat((double) v[idx("max" + s)]).isCloseTo(max, within(1e-3));
            double sd = -1;
            if (in.size() >= 2) {
                double m = mean;
                sd =
                        Math.sqrt(
                                in.stream()
                                                .mapToDouble(
                                                        x -> (x.amount() - m) * (x.amount() - m))
                                                .sum()
                                        / in.size());
            }
            assertThat((double) v[idx("sd" + s)])
                    .as("stddev %s", w.name())
                    .isCloseTo(sd, within(1e-3 * Math.max(1, sd)));
            double eco =
                    in.isEmpty()
                            ? -1
                            : (double)
                                            in.stream()
                                                    .filter(x -> x.channel().equals("ECOMMERCE"))
                                                    .count()
                                    / in.size();
            assertThat((double) v[idx("eco" + s)]).isCloseTo(eco, within(1e-6));

            // The promised span is the sliding window to within one tile at its start.
            long t = e.eventTime();
            assertThat(in.size())
                    .isGreaterThanOrEqualTo(
                            count(
                                    accepted,
                                    x ->
                                            x.eventTime() >= t - w.size().toMillis() + w.widthMs()
                                                    && x.eventTime() <= t))
                    .isLessThanOrEqualTo(
                            count(accepted, x -> x.eventTime() > t - w.size().toMillis()));
            if (w.name().equals("12m")) {
                Set<String> merchants = new HashSet<>();
                in.forEach(x -> merchants.add(x.merchantId()));
                assertThat((double) v[idx("merchants_12m")])
                        .isCloseTo(merchants.size(), within(Math.max(1.5, 0.1 * merchants.size())));
                assertThat(v[idx("big_12m")]).isEqualTo(count(in, x -> x.amount() >= 50));
            }
        }
    }

    private void checkEntity(float[] v, Event e, List<Event> before) {
        if (before.isEmpty()) {
            assertThat(v[idx("since")]).isEqualTo(-1);
            assertThat(v[idx("last")]).isEqualTo(-1);
            assertThat(v[idx("z")]).isZero();
            return;
        }
        long latest = before.stream().mapToLong(Event::eventTime).max().orElseThrow();
        assertThat((double) v[idx("since")])
                .isCloseTo(Math.max(0, e.eventTime() - latest) / 1000.0, within(1e-3));
        assertThat((double) v[idx("last")])
                .isCloseTo(before.get(before.size() - 1).amount(), within(1e-3));
        if (before.size() >= 2) {
            double mean = before.stream().mapToDouble(Event::amount).average().orElseThrow();
            double sd =
                    Math.sqrt(
                            before.stream()
                                            .mapToDouble(
                                                    x -> (x.amount() - mean) * (x.amount() - mean))
                                            .sum()
                                    / before.size());
            assertThat((double) v[idx("z")]).isCloseTo((e.amount() - mean) / sd, within(1e-3));
        }
    }

    private static int count(List<Event> events, Predicate<Event> p) {
        return (int) events.stream().filter(p).count();
    }

    private int idx(String name) {
        return spec.indexOf(name).orElseThrow(() -> new AssertionError("no feature " + name));
    }

    private static Event event(Random random, long eventTime) {
        long minor = 1 + random.nextInt(20_000);
        String[] channels = {"ECOMMERCE", "CARD_PRESENT", "CONTACTLESS"};
        return new Event(
                "t" + random.nextLong(),
                "e1",
                "m" + random.nextInt(40),
                minor,
                minor / 100.0,
                "EUR",
                2,
                "DE",
                channels[random.nextInt(channels.length)],
                eventTime);
    }
}
