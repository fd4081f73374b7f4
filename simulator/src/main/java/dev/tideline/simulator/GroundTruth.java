package dev.tideline.simulator;

import dev.tideline.simulator.Records.Payment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the simulator knows of each payment it sent: whether it is fraud, which scenario, and when
 * it was handed to the producer (wall clock, epoch ms), for grading predictions and timing them.
 */
public final class GroundTruth {

    /** One payment's truth. */
    public record Truth(FraudScenario scenario, long sentAt, boolean live) {
        public boolean fraud() {
            return scenario != null;
        }
    }

    private final Map<String, Truth> byTxn = new ConcurrentHashMap<>();

    void sent(Payment p, long sentAt, boolean live) {
        byTxn.put(p.txnId(), new Truth(p.scenario(), sentAt, live));
    }

    /** The truth of a payment, or null for one the simulator did not send. */
    public Truth of(String txnId) {
        return byTxn.get(txnId);
    }

    public int size() {
        return byTxn.size();
    }
}
