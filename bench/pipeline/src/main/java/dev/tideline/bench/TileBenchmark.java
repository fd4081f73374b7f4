package dev.tideline.bench;

import dev.tideline.features.Event;
import dev.tideline.features.FeatureComputer;
import dev.tideline.features.FeatureSpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The tile code alone: one event folded into an entity's state and its vector computed, for the
 * default spec, with no Kafka, RocksDB or Avro around it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TileBenchmark {

    private static final int EVENTS = 4096;

    private FeatureComputer computer;
    private byte[][] states;
    private Event[] events;
    private int next;

    @Setup
    public void setUp() {
        computer = new FeatureComputer(FeatureSpec.builtin(FeatureSpec.DEFAULT));
        Random random = new Random(7);
        states = new byte[64][];
        for (int i = 0; i < states.length; i++) {
            states[i] = computer.layout().newState();
        }
        events = new Event[EVENTS];
        long t = 1_790_000_000_000L;
        for (int i = 0; i < EVENTS; i++) {
            t += random.nextInt(3_000);
            long minor = 100 + random.nextInt(100_000);
            events[i] =
                    new Event(
                            "t" + i,
                            "e" + (i % states.length),
                            "m" + random.nextInt(50),
                            minor,
                            minor / 100.0,
                            "EUR",
                            2,
                            "DE",
                            "ECOMMERCE",
                            t);
        }
    }

    @Benchmark
    public float[] applyEvent() {
        int i = next++ & (EVENTS - 1);
        if (i == 0) {
            // Restart the stream's clock so tiles keep rolling over the same span.
            for (int s = 0; s < states.length; s++) {
                states[s] = computer.layout().newState();
            }
        }
        return computer.apply(states[i % states.length], events[i], null);
    }
}
