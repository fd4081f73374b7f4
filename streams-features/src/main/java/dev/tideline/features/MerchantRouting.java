package dev.tideline.features;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What travels through the feature stage's internal topics when its spec has merchant features:
 * vectors with their entity features, keyed by merchant, and the fraud labels that name a merchant,
 * keyed by it. Both are in the contracts' own wire format, under their topics' subjects.
 */
final class MerchantRouting {

    /** Internal topic names, under the application id: {@link FeatureTopology#internalTopic}. */
    static final String VECTORS_BY_MERCHANT = "vectors-by-merchant";

    static final String FRAUDS_BY_MERCHANT = "frauds-by-merchant";

    private MerchantRouting() {}

    /** What the merchant processor reads: a vector to complete, or a fraud label. */
    sealed interface MerchantInput permits Vector, Fraud {}

    record Vector(FeatureVector vector) implements MerchantInput {}

    record Fraud(Label label) implements MerchantInput {}

    /** A contract's serde that always names its topic, whatever topic it is used on. */
    static <T> Serde<T> under(Topic<String, T> topic) {
        Serializer<T> s = topic.valueSerde().serializer();
        Deserializer<T> d = topic.valueSerde().deserializer();
        return Serdes.serdeFrom(
                (ignored, value) -> s.serialize(topic.name(), value),
                (ignored, bytes) -> d.deserialize(topic.name(), bytes));
    }
}
