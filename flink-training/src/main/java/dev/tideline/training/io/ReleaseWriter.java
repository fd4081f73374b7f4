package dev.tideline.training.io;

import dev.tideline.schemas.ModelReleaseKey;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.model.ReleaseSignature;
import dev.tideline.training.publish.Release;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.HashMap;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes releases to the compacted {@code models.v1} as {@code ModelRelease}, keyed so that
 * compaction keeps the newest promotable release of each model ({@link ModelReleaseKey}).
 */
public final class ReleaseWriter implements KafkaRecordSerializationSchema<Release> {

    private final Contracts contracts;
    private final String signingKey;
    private final String signingKeyId;
    private transient Topic<String, ModelRelease> topic;
    private transient PrivateKey key;

    /** Writes unsigned releases. */
    public ReleaseWriter(Contracts contracts) {
        this(contracts, "", "");
    }

    /**
     * @param signingKey path of the Ed25519 private key (PKCS#8 PEM) that signs each release, or
     *     empty for unsigned releases
     * @param signingKeyId the id serving knows its public half by
     */
    public ReleaseWriter(Contracts contracts, String signingKey, String signingKeyId) {
        this.contracts = contracts;
        this.signingKey = signingKey;
        this.signingKeyId = signingKeyId;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        topic = contracts.catalog().models();
        key = signingKey.isBlank() ? null : ReleaseSignature.privateKey(Path.of(signingKey));
    }

    public static ModelRelease toAvro(Release r) {
        return ModelRelease.newBuilder()
                .setModelName(r.modelName)
                .setVersion(r.version)
                .setCreatedAt(Instant.ofEpochMilli(r.createdAtMs))
                .setSpecId(r.specId)
                .setSpecVersion(r.specVersion)
                .setSpecFingerprint(r.specFingerprint)
                .setInputWidth(r.inputWidth)
                .setOnnx(ByteBuffer.wrap(r.onnx))
                .setArtifactUri(null)
                .setSha256(r.sha256)
                .setMetrics(new HashMap<>(r.metrics))
                .setParentVersion(r.parentVersion < 0 ? null : r.parentVersion)
                .setTrainingWatermark(Instant.ofEpochMilli(Math.max(0, r.trainingWatermarkMs)))
                .setPromotable(r.promotable)
                .build();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            Release r, KafkaSinkContext context, Long timestamp) {
        ModelRelease release = toAvro(r);
        if (key != null) {
            release = ReleaseSignature.sign(release, key, signingKeyId);
        }
        return new ProducerRecord<>(
                topic.name(),
                ModelReleaseKey.of(r.modelName, r.promotable).getBytes(StandardCharsets.UTF_8),
                topic.valueSerde().serializer().serialize(topic.name(), release));
    }
}
