package dev.tideline.schemas;

import dev.tideline.schemas.avro.Account;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.GlobalModel;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.ModelKind;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.Prediction;
import dev.tideline.schemas.avro.RiskTier;
import dev.tideline.schemas.avro.Transaction;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One valid, fully populated record of every contract. */
public final class ContractSamples {

    public static final Instant T0 = Instant.parse("2026-11-23T10:15:30.123Z");

    private ContractSamples() {}

    public static Transaction transaction() {
        return Transaction.newBuilder()
                .setTxnId("txn-0001")
                .setEntityId("acct-42")
                .setMerchantId("m-77")
                .setAmountMinor(12_345L)
                .setCurrency("EUR")
                .setCountry("DE")
                .setChannel(Channel.ECOMMERCE)
                .setEventTime(T0)
                .build();
    }

    public static Account account() {
        return Account.newBuilder()
                .setAccountId("acct-42")
                .setCreatedAt(T0.minusSeconds(86_400L * 400))
                .setCreditLimitMinor(500_000L)
                .setHomeCountry("DE")
                .setRiskTier(RiskTier.MEDIUM)
                .setUpdatedAt(T0.minusSeconds(3600))
                .build();
    }

    public static Label label() {
        return Label.newBuilder()
                .setTxnId("txn-0001")
                .setAccountId("acct-42")
                .setIsFraud(true)
                .setReportedAt(T0.plusSeconds(86_400L * 20))
                .build();
    }

    public static FeatureVector featureVector() {
        return FeatureVector.newBuilder()
                .setTxnId("txn-0001")
                .setEntityId("acct-42")
                .setEventTime(T0)
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint("9f".repeat(32))
                .setValues(List.of(1.0f, 0.5f, -2.25f, 0.0f))
                .setMerchantId("m-77")
                .setAmountMinor(12_345L)
                .setCurrency("EUR")
                .setComputedAt(T0.plusMillis(3))
                .build();
    }

    public static GlobalModel globalModel() {
        return GlobalModel.newBuilder()
                .setModelName("fraud")
                .setVersion(7L)
                .setKind(ModelKind.LOGISTIC_REGRESSION)
                .setLayerSizes(List.of(4, 1))
                .setParameters(List.of(0.1f, -0.2f, 0.3f, 0.4f, 0.05f))
                .setFeatureMean(List.of(1.0, 2.0, 3.0, 4.0))
                .setFeatureVariance(List.of(0.5, 0.5, 1.5, 2.0))
                .setExamplesSeen(10_000L)
                .setSpecId("payments")
                .setSpecFingerprint("9f".repeat(32))
                .setCreatedAt(T0)
                .build();
    }

    public static ModelRelease modelRelease() {
        return ModelRelease.newBuilder()
                .setModelName("fraud")
                .setVersion(3L)
                .setCreatedAt(T0)
                .setSpecId("payments")
                .setSpecVersion(1)
                .setSpecFingerprint("9f".repeat(32))
                .setInputWidth(4)
                .setOnnx(ByteBuffer.wrap(new byte[] {8, 7, 18, 4, 116, 101, 115, 116}))
                .setArtifactUri(null)
                .setSha256("ab".repeat(32))
                .setMetrics(Map.of("auc", 0.93, "log_loss", 0.21))
                .setParentVersion(2L)
                .setTrainingWatermark(T0.minusSeconds(60))
                .setPromotable(true)
                .build();
    }

    public static Prediction prediction() {
        return Prediction.newBuilder()
                .setTxnId("txn-0001")
                .setEntityId("acct-42")
                .setScore(0.875)
                .setModelName("fraud")
                .setModelVersion(3L)
                .setSpecFingerprint("9f".repeat(32))
                .setFallback(false)
                .setFallbackReason(null)
                .setEventTime(T0)
                .setScoredAt(T0.plusMillis(9))
                .build();
    }

    /** Every contract, each paired with the catalog topic that carries it. */
    public static List<SpecificRecord> all() {
        return List.of(
                transaction(),
                account(),
                label(),
                featureVector(),
                globalModel(),
                modelRelease(),
                prediction());
    }
}
