package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StateLayoutTest {

    private final FeatureComputer computer =
            new FeatureComputer(FeatureSpec.builtin(FeatureSpec.DEFAULT));

    @Test
    void defaultSpecKeepsUnderOneKibibytePerEntity() {
        assertThat(computer.layout().bytesPerEntity()).isEqualTo(877).isLessThanOrEqualTo(1024);
    }

    @Test
    void stateSizeIsAConstantOfTheSpecNotOfTheEventCount() {
        byte[] state = computer.layout().newState();
        long t = 1_790_000_000_000L;
        for (int i = 0; i < 50_000; i++) {
            t += 1_000;
            computer.apply(
                    state,
                    new Event("t" + i, "e", "m" + (i % 500), 1_000, 10, "EUR", 2, "DE", "ATM", t),
                    null);
        }
        assertThat(state).hasSize(computer.layout().bytesPerEntity());
        assertThat(StateLayout.latestEventTime(state)).isEqualTo(t);
    }

    @Test
    void refusesStateWrittenForAnotherSpec() {
        FeatureSpec other =
                FeatureSpec.parse(
                        """
                        id: other
                        version: 1
                        windows: [{name: 5m, size: PT5M}]
                        features: [{name: n, kind: window, agg: count, window: 5m}]
                        """,
                        "other.yaml");

        assertThat(computer.layout().compatible(new StateLayout(other).newState())).isFalse();
        assertThat(computer.layout().compatible(computer.layout().newState())).isTrue();
    }
}
