package dev.tideline.simulator;

/** What the simulator writes, as plain values. */
public final class Records {

    private Records() {}

    /**
     * A row of the {@code accounts} table.
     *
     * @param createdAt when the account was opened, epoch ms
     * @param updatedAt when the row took effect; the simulator writes the opening time, as a
     *     back-fill of history would
     */
    public record AccountRow(
            String accountId,
            long createdAt,
            long creditLimitMinor,
            String homeCountry,
            String riskTier,
            long updatedAt) {}

    /**
     * One payment and its ground truth.
     *
     * @param scenario the planted fraud, or null for a legitimate payment
     */
    public record Payment(
            String txnId,
            String accountId,
            String merchantId,
            long amountMinor,
            String currency,
            String country,
            String channel,
            long eventTime,
            FraudScenario scenario) {

        public boolean fraud() {
            return scenario != null;
        }
    }

    /**
     * A row of the {@code chargebacks} table: the label of a fraud, reported later, naming the
     * merchant of the payment as card networks do.
     */
    public record Chargeback(
            String txnId, String accountId, String merchantId, boolean fraud, long reportedAt) {}
}
