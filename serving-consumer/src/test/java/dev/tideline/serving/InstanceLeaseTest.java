package dev.tideline.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceLeaseTest {

    @Test
    void takesTheLowestFreeSlotOfItsHostAndGetsItBackOnceReleased(@TempDir Path dir) {
        try (InstanceLease first = InstanceLease.claim(dir, "", "pod/a")) {
            InstanceLease second = InstanceLease.claim(dir, "", "pod/a");
            assertThat(first.id()).isEqualTo("pod_a-0");
            assertThat(second.id()).isEqualTo("pod_a-1");
            second.close();
            try (InstanceLease again = InstanceLease.claim(dir, "", "pod/a")) {
                assertThat(again.id()).isEqualTo("pod_a-1");
            }
        }
    }

    @Test
    void refusesAnIdALiveReplicaHoldsNamingTheKey(@TempDir Path dir) {
        InstanceLease held = InstanceLease.claim(dir, "replica-1", "host");
        assertThatThrownBy(() -> InstanceLease.claim(dir, "replica-1", "host"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ServingConfig.INSTANCE_ID)
                .hasMessageContaining("replica-1");
        held.close();
        try (InstanceLease again = InstanceLease.claim(dir, "replica-1", "host")) {
            assertThat(again.id()).isEqualTo("replica-1");
        }
    }
}
