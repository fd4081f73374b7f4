package dev.tideline.training.io;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.GlobalModel;
import dev.tideline.schemas.serde.SerdeException;
import dev.tideline.training.learn.GlobalState;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import dev.tideline.training.publish.SpecIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Global models on {@code training.sync.v1}: {@link GlobalState} as the {@code GlobalModel}
 * contract.
 */
public final class SyncSerdes {

    private static final Logger log = LoggerFactory.getLogger(SyncSerdes.class);

    private SyncSerdes() {}

    static GlobalModel toAvro(String modelName, SpecIdentity spec, GlobalState g) {
        List<Integer> layers = new ArrayList<>();
        for (int l : g.network.layers) {
            layers.add(l);
        }
        List<Float> params = new ArrayList<>(g.network.params.length);
        for (float p : g.network.params) {
            params.add(p);
        }
        List<Double> mean = new ArrayList<>();
        List<Double> variance = new ArrayList<>();
        double[] v = g.scaler.variance();
        for (int i = 0; i < v.length; i++) {
            mean.add(g.scaler.mean[i]);
            variance.add(v[i]);
        }
        return GlobalModel.newBuilder()
                .setModelName(modelName)
                .setVersion(g.version)
                .setKind(g.network.kind)
                .setLayerSizes(layers)
                .setParameters(params)
                .setFeatureMean(mean)
                .setFeatureVariance(variance)
                .setExamplesSeen(g.scaler.count)
                .setSpecId(spec.id())
                .setSpecFingerprint(spec.fingerprint())
                .setCreatedAt(Instant.ofEpochMilli(g.createdAtMs))
                .setLineage(g.lineage)
                .setUpdatesTaken(Arrays.stream(g.taken).boxed().toList())
                .build();
    }

    static GlobalState fromAvro(GlobalModel m) {
        int[] layers = m.getLayerSizes().stream().mapToInt(Integer::intValue).toArray();
        float[] params = new float[m.getParameters().size()];
        for (int i = 0; i < params.length; i++) {
            params[i] = m.getParameters().get(i);
        }
        double[] mean = m.getFeatureMean().stream().mapToDouble(Double::doubleValue).toArray();
        double[] variance =
                m.getFeatureVariance().stream().mapToDouble(Double::doubleValue).toArray();
        GlobalState g =
                new GlobalState(
                        m.getVersion(),
                        new Network(m.getKind(), layers, params),
                        FeatureScaler.of(m.getExamplesSeen(), mean, variance),
                        m.getExamplesSeen(),
                        m.getCreatedAt().toEpochMilli());
        g.lineage = m.getLineage();
        g.taken = m.getUpdatesTaken().stream().mapToLong(Long::longValue).toArray();
        return g;
    }

    /** Writes the aggregator's versions, keyed by model name. */
    public static final class Writer implements KafkaRecordSerializationSchema<GlobalState> {
        private final Contracts contracts;
        private final String modelName;
        private final SpecIdentity spec;
        private transient Topic<String, GlobalModel> topic;

        public Writer(Contracts contracts, String modelName, SpecIdentity spec) {
            this.contracts = contracts;
            this.modelName = modelName;
            this.spec = spec;
        }

        @Override
        public void open(
                SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
            topic = contracts.catalog().trainingSync();
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                GlobalState g, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(
                    topic.name(),
                    modelName.getBytes(StandardCharsets.UTF_8),
                    topic.valueSerde()
                            .serializer()
                            .serialize(topic.name(), toAvro(modelName, spec, g)));
        }
    }

    /**
     * Reads the versions of one model; records of other models or that do not decode are skipped.
     */
    public static final class Reader implements KafkaRecordDeserializationSchema<GlobalState> {
        private final Contracts contracts;
        private final String modelName;
        private transient Topic<String, GlobalModel> topic;

        public Reader(Contracts contracts, String modelName) {
            this.contracts = contracts;
            this.modelName = modelName;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) {
            topic = contracts.catalog().trainingSync();
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<GlobalState> out) {
            GlobalModel m;
            try {
                m = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            } catch (SerdeException e) {
                log.warn(
                        "Skipping an unreadable global model at {}-{}@{}: {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        e.getMessage());
                return;
            }
            if (m != null && modelName.equals(m.getModelName())) {
                out.collect(fromAvro(m));
            }
        }

        @Override
        public TypeInformation<GlobalState> getProducedType() {
            return TypeInformation.of(GlobalState.class);
        }
    }
}
