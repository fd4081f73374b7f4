package dev.tideline.training.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.training.io.LabelEvent;
import dev.tideline.training.io.ServedVector;
import dev.tideline.training.io.SourceRecord;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.testutils.DeeplyEqualsChecker;

/** Flink's checks for a serializer (copies, sequences, snapshots, duplicates) on every shape. */
class TransactionSerializerTest extends SerializerTestBase<Transaction> {

    TransactionSerializerTest() {
        super(
                new DeeplyEqualsChecker()
                        .withCustomCheck(
                                (a, b) -> a instanceof Transaction && b instanceof Transaction,
                                (a, b, checker) -> sameFields(a, b)));
    }

    private static boolean sameFields(Object a, Object b) {
        try {
            assertThat(b).usingRecursiveComparison().isEqualTo(a);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    @Override
    protected TypeSerializer<Transaction> createSerializer() {
        return new TransactionSerializer();
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<Transaction> getTypeClass() {
        return Transaction.class;
    }

    @Override
    protected Transaction[] getTestData() {
        Transaction pending = new Transaction();
        pending.vector = new ServedVector("txn-1", 1_700_000_000_000L, new float[] {1.5f, -2f, 0f});

        Transaction early = new Transaction();
        early.label =
                new LabelEvent(
                        "txn-2",
                        true,
                        1_700_000_001_000L,
                        new SourceRecord(
                                "cdc.labels",
                                3,
                                42,
                                "txn-2".getBytes(StandardCharsets.UTF_8),
                                new byte[] {0, 0, 0, 0, 7, 1}));

        Transaction earlyWithoutKey = new Transaction();
        earlyWithoutKey.label =
                new LabelEvent("txn-3", false, 5, new SourceRecord("cdc.labels", 0, 0, null, null));

        Transaction labelOnly = new Transaction();
        labelOnly.label = new LabelEvent("txn-4", false, 6, null);

        Transaction labelled = new Transaction();
        labelled.settled = LabelJoin.LABELLED;
        labelled.forgetAtMs = 1_700_000_100_000L;

        Transaction matured = new Transaction();
        matured.settled = LabelJoin.MATURED;
        matured.forgetAtMs = Long.MAX_VALUE;

        Transaction empty = new Transaction();

        Transaction wide = new Transaction();
        wide.vector = new ServedVector("ünïcode-✓", -1, new float[300]);
        return new Transaction[] {
            pending, early, earlyWithoutKey, labelOnly, labelled, matured, empty, wide
        };
    }
}
