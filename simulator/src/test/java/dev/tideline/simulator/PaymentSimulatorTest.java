package dev.tideline.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tideline.schemas.avro.Transaction;
import dev.tideline.simulator.PaymentSimulator.Event;
import dev.tideline.simulator.PaymentSimulator.Opened;
import dev.tideline.simulator.PaymentSimulator.Paid;
import dev.tideline.simulator.PaymentSimulator.Reported;
import dev.tideline.simulator.Records.Payment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class PaymentSimulatorTest {

    private static final long START = 1_790_000_000_000L; // 2026-09-21
    private static final long HOUR = 3_600_000L;

    @Test
    void theSameSeedAndStartGiveTheSameBytesHoweverTimeIsAdvanced() throws IOException {
        SimulationSettings s = SimulationSettings.defaults();
        PaymentSimulator once = new PaymentSimulator(s, START);
        byte[] allAtOnce = encode(once.advance(START + HOUR));
        PaymentSimulator stepwise = new PaymentSimulator(s, START);
        ByteArrayOutputStream steps = new ByteArrayOutputStream();
        for (long t = START; t < START + HOUR; t += 7_919) {
            steps.write(encode(stepwise.advance(Math.min(START + HOUR, t + 7_919))));
        }
        assertThat(allAtOnce).hasSizeGreaterThan(100_000).isEqualTo(steps.toByteArray());
        assertThat(once.initialAccounts()).isEqualTo(stepwise.initialAccounts());

        SimulationSettings other =
                new SimulationSettings(
                        2,
                        s.customers(),
                        s.merchants(),
                        s.ratePerSecond(),
                        s.history(),
                        s.fraudRate(),
                        s.mix(),
                        s.compromise(),
                        s.chargebackMin(),
                        s.chargebackMax());
        assertThat(encode(new PaymentSimulator(other, START).advance(START + HOUR)))
                .isNotEqualTo(allAtOnce);
    }

    @Test
    void eachScenarioAppearsAtItsShareOfTheFraudRate() {
        SimulationSettings d = SimulationSettings.defaults();
        SimulationSettings s =
                new SimulationSettings(
                        7,
                        d.customers(),
                        d.merchants(),
                        20,
                        d.history(),
                        0.02,
                        d.mix(),
                        d.compromise(),
                        d.chargebackMin(),
                        d.chargebackMax());
        PaymentSimulator sim = new PaymentSimulator(s, START);
        Map<FraudScenario, Integer> frauds = new EnumMap<>(FraudScenario.class);
        int payments = 0;
        for (Event e : sim.advance(START + 24 * HOUR)) {
            if (e instanceof Paid p) {
                payments++;
                if (p.payment().fraud()) {
                    frauds.merge(p.payment().scenario(), 1, Integer::sum);
                }
            }
        }
        // A day at 20 payments a second on average.
        assertThat(payments).isCloseTo(20 * 86_400, within(20 * 86_400 / 20));
        int total = frauds.values().stream().mapToInt(Integer::intValue).sum();
        assertThat((double) total / payments).isCloseTo(s.fraudRate(), within(0.004));
        for (FraudScenario scenario : FraudScenario.values()) {
            double share = (double) frauds.getOrDefault(scenario, 0) / total;
            assertThat(share)
                    .as("share of %s among the frauds", scenario.tag())
                    .isCloseTo(s.share(scenario), within(0.08));
        }
    }

    @Test
    void everyFraudHasOneChargebackWithinTheDelaysAndEventsComeInTimeOrder() {
        SimulationSettings s = SimulationSettings.defaults();
        PaymentSimulator sim = new PaymentSimulator(s, START);
        List<Event> events = sim.advance(START + 2 * HOUR);
        Map<String, Payment> frauds = new HashMap<>();
        Set<String> accounts = new HashSet<>();
        sim.initialAccounts().forEach(a -> accounts.add(a.accountId()));
        long last = Long.MIN_VALUE;
        int chargebacks = 0;
        for (Event e : events) {
            assertThat(e.time()).isGreaterThanOrEqualTo(last).isLessThan(START + 2 * HOUR);
            last = e.time();
            if (e instanceof Opened o) {
                accounts.add(o.row().accountId());
            } else if (e instanceof Paid p) {
                assertThat(accounts)
                        .as("the account of %s is opened first", p.payment().txnId())
                        .contains(p.payment().accountId());
                if (p.payment().fraud()) {
                    frauds.put(p.payment().txnId(), p.payment());
                }
            } else if (e instanceof Reported r) {
                chargebacks++;
                Payment paid = frauds.get(r.chargeback().txnId());
                assertThat(paid).as("a chargeback follows its fraud").isNotNull();
                long delay = r.chargeback().reportedAt() - paid.eventTime();
                assertThat(delay)
                        .isBetween(s.chargebackMin().toMillis(), s.chargebackMax().toMillis());
            }
        }
        assertThat(chargebacks).isPositive().isLessThanOrEqualTo(frauds.size());
    }

    @Test
    void theRateFollowsADailyRhythm() {
        assertThat(PaymentSimulator.rhythm(START - START % 86_400_000L + 15 * HOUR))
                .isCloseTo(1.5, within(1e-9));
        assertThat(PaymentSimulator.rhythm(START - START % 86_400_000L + 3 * HOUR))
                .isCloseTo(0.5, within(1e-9));
    }

    @Test
    void refusesSettingsThatCannotBeSimulated() {
        SimulationSettings s = SimulationSettings.defaults();
        assertThatThrownBy(
                        () ->
                                new SimulationSettings(
                                        1,
                                        s.customers(),
                                        s.merchants(),
                                        0,
                                        Duration.ofMinutes(1),
                                        0.01,
                                        s.mix(),
                                        s.compromise(),
                                        s.chargebackMin(),
                                        s.chargebackMax()))
                .hasMessageContaining("--rate");
        assertThatThrownBy(
                        () ->
                                new SimulationSettings(
                                        1,
                                        s.customers(),
                                        s.merchants(),
                                        1,
                                        Duration.ofMinutes(1),
                                        0.5,
                                        s.mix(),
                                        s.compromise(),
                                        s.chargebackMin(),
                                        s.chargebackMax()))
                .hasMessageContaining("--fraud-rate");
    }

    /** Payments as the contract encodes them, then the chargebacks and accounts as text. */
    private static byte[] encode(List<Event> events) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        SpecificDatumWriter<Transaction> writer = new SpecificDatumWriter<>(Transaction.class);
        for (Event e : events) {
            if (e instanceof Paid p) {
                writer.write(Simulator.transaction(p.payment()), encoder);
            } else {
                encoder.writeString(e.toString());
            }
        }
        encoder.flush();
        return out.toByteArray();
    }
}
