package dev.tideline.simulator;

import java.util.Locale;

/** The fraud patterns the simulator plants, each tagged in its ground truth. */
public enum FraudScenario {
    /** A payment far above the customer's spending profile. */
    AMOUNT_OUTLIER,
    /** Every payment at a compromised terminal, for as long as it is compromised. */
    COMPROMISED_TERMINAL,
    /** A share of a compromised card's payments, with multiplied amounts, for a while. */
    COMPROMISED_CARD,
    /** A burst of small e-commerce payments abroad, then a large one. */
    CARD_TESTING,
    /** An account opened to defraud: large payments soon after it is opened. */
    NEW_ACCOUNT;

    /** The tag written in ground truth and reports: {@code compromised-terminal}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
