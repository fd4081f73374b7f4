package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tideline chaos}'s short variant: every kind of fault once, under a small load, and every
 * input counted (see {@link ChaosRun}).
 */
@Tag("integration")
class ChaosIT {

    private static final Logger log = LoggerFactory.getLogger(ChaosIT.class);

    @Test
    void everyPaymentHasOneVectorAndOnePredictionThroughEveryKindOfFault(@TempDir Path dir)
            throws Exception {
        ChaosRun.Result r =
                ChaosRun.run(
                        new ChaosRun.Options(
                                7,
                                Duration.ZERO,
                                List.of(ChaosRun.Fault.values()),
                                20,
                                Duration.ofMinutes(3),
                                dir,
                                Path.of("target", "child-logs")));
        log.info("Chaos: {}", ChaosCommand.json(r));

        assertThat(r.faults())
                .extracting(ChaosRun.Injected::fault)
                .containsExactlyInAnyOrder(ChaosRun.Fault.values());
        assertThat(r.payments()).isGreaterThan(1_000);
        assertThat(r.vectorsLost()).as("payments without a vector").isZero();
        assertThat(r.vectorsDuplicated()).as("vectors beyond one per payment").isZero();
        assertThat(r.predictionsLost()).as("payments without a prediction").isZero();
        assertThat(r.predictionsDuplicated()).as("predictions beyond one per payment").isZero();
        assertThat(r.modelVersionProblems()).as("models.v1 versions").isEmpty();
        assertThat(r.chargebacksCommitted()).as("chargebacks in the database").isPositive();
        assertThat(r.chargebacksMissing()).as("chargebacks not on cdc.labels").isZero();
        assertThat(r.concurrentlySeen())
                .as("records the concurrent reader saw")
                .isGreaterThanOrEqualTo(2 * r.payments());
        assertThat(r.seenThenAborted())
                .as("records a read_committed reader saw that are not there at the end")
                .isZero();
        assertThat(r.clean()).isTrue();
    }
}
