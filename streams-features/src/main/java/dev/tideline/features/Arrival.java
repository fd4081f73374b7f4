package dev.tideline.features;

import dev.tideline.schemas.avro.Transaction;

/**
 * A validated transaction as it arrived: whether it arrived on another partition than its entity's
 * owner, and the clock of the partition it arrived on once it was seen ({@link #UNKNOWN} after the
 * trip through the internal topic, where the owner's own clock applies).
 */
record Arrival(Event event, Transaction transaction, boolean elsewhere, long clock) {

    static final long UNKNOWN = Long.MIN_VALUE;
}
