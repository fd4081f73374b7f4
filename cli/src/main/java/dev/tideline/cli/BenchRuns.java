package dev.tideline.cli;

import dev.tideline.features.FeatureConfig;
import dev.tideline.simulator.SimulationSettings;
import dev.tideline.simulator.Simulator;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** What the benchmarks that run the demo's whole pipeline ({@code e2e}, {@code quality}) share. */
final class BenchRuns {

    private BenchRuns() {}

    /** The simulator's defaults with {@code history} of history and its periods scaled to it. */
    static SimulationSettings simulation(Duration history, long seed) {
        SimulationSettings d = SimulationSettings.defaults();
        return new SimulationSettings(
                        seed,
                        d.customers(),
                        d.merchants(),
                        d.ratePerSecond(),
                        history,
                        d.fraudRate(),
                        d.mix(),
                        d.compromise(),
                        d.chargebackMin(),
                        d.chargebackMax())
                .scaledTo(history);
    }

    /**
     * The settings given, with the parts' HTTP endpoints on free ports unless set: a benchmark runs
     * beside whatever else the machine runs.
     */
    static Map<String, String> quiet(Map<String, String> properties) throws IOException {
        Map<String, String> overrides = new HashMap<>(properties);
        overrides.putIfAbsent(FeatureConfig.HTTP_PORT, "0");
        overrides.putIfAbsent("tideline.serving.http.port", "0");
        overrides.putIfAbsent("tideline.cdc.http.port", "0");
        overrides.putIfAbsent(Demo.TRAINING_HTTP_PORT, String.valueOf(freePort()));
        return overrides;
    }

    /**
     * Waits for {@code condition}; throws with {@code message} at the timeout, or if the simulator
     * fails.
     */
    static void await(
            BooleanSupplier condition, Duration timeout, Simulator simulator, String message)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (simulator.phase() == Simulator.Phase.FAILED) {
                throw new IllegalStateException(
                        "the simulator failed: " + simulator.failure(), simulator.failure());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(message);
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling the pipeline's progress
        }
    }

    /** Refuses an option: {@code message} names it. */
    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * A port for the training process's health endpoint, which must be fixed before it starts:
     * below the kernel's ephemeral range, where the stack's own listeners cannot take it first.
     */
    static int freePort() throws IOException {
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try (ServerSocket s = new ServerSocket(port)) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port between 20000 and 32000 for the training process");
    }
}
