package dev.tideline.training.join;

import dev.tideline.training.io.LabelEvent;
import dev.tideline.training.io.ServedVector;

/**
 * What the label join keeps for one transaction, as one state value (one read and one write per
 * event, whatever the state backend): the vector waiting to mature, a label that came before its
 * vector, or, once settled, how and until when it is remembered. Stored with {@link
 * TransactionSerializer}.
 */
public final class Transaction {

    public ServedVector vector;
    public LabelEvent label;

    /**
     * {@link LabelJoin#LABELLED} once labelled ({@link LabelJoin#MATURED} in state written by
     * earlier versions), else null.
     */
    public String settled;

    public long forgetAtMs;

    public Transaction() {}
}
