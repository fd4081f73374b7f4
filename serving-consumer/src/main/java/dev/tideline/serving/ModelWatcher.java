package dev.tideline.serving;

import dev.tideline.schemas.ModelRevocationKey;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.ModelRevocation;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted model topic and the fleet's revocations. At start it reads the revocations
 * to their end (those releases are never loaded), then the model topic, and offers only the newest
 * promotable release of the served model, so a restart does not load every past model; then it
 * offers each new release and applies each new revocation as they arrive. A rollback this replica
 * makes is published as a revocation, so that every replica, and every one started later, drops the
 * release too.
 */
public final class ModelWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelWatcher.class);

    private final KafkaConsumer<String, ModelRelease> consumer;
    private final KafkaConsumer<String, ModelRevocation> revocationConsumer;
    private final KafkaProducer<String, ModelRevocation> revocationProducer;
    private final Topic<String, ModelRelease> topic;
    private final Topic<String, ModelRevocation> revocations;
    private final String model;
    private final ModelSwitch target;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param instance this replica's instance id, named in the revocations it publishes
     */
    public ModelWatcher(
            Map<String, Object> clientConfig,
            Topic<String, ModelRelease> topic,
            Topic<String, ModelRevocation> revocations,
            String model,
            String instance,
            ModelSwitch target) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024);
        this.consumer =
                new KafkaConsumer<>(
                        config, new StringDeserializer(), topic.valueSerde().deserializer());
        this.revocationConsumer =
                new KafkaConsumer<>(
                        config, new StringDeserializer(), revocations.valueSerde().deserializer());
        Map<String, Object> producer = new HashMap<>(clientConfig);
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.revocationProducer =
                new KafkaProducer<>(
                        producer, new StringSerializer(), revocations.valueSerde().serializer());
        this.topic = topic;
        this.revocations = revocations;
        this.model = model;
        this.target = target;
        target.onRollback((name, version, reason) -> publish(name, version, reason, instance));
        this.thread = new Thread(this::run, "tideline-model-watcher");
        thread.setDaemon(true);
    }

    /** Loads the newest usable release before returning, then follows the topics. */
    public ModelWatcher start() {
        List<TopicPartition> revoked =
                revocationConsumer.partitionsFor(revocations.name()).stream()
                        .map(p -> new TopicPartition(revocations.name(), p.partition()))
                        .toList();
        revocationConsumer.assign(revoked);
        revocationConsumer.seekToBeginning(revoked);
        Map<TopicPartition, Long> revokedEnd = revocationConsumer.endOffsets(revoked);
        int banned = 0;
        while (revoked.stream().anyMatch(p -> revocationConsumer.position(p) < revokedEnd.get(p))) {
            banned += applyRevocations(revocationConsumer.poll(Duration.ofMillis(200)));
        }
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic.name()).stream()
                        .map(p -> new TopicPartition(topic.name(), p.partition()))
                        .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Map<Long, ModelRelease> candidates = new TreeMap<>(Comparator.reverseOrder());
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            for (ConsumerRecord<String, ModelRelease> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.value() != null && model.equals(r.value().getModelName())) {
                    candidates.put(r.value().getVersion(), r.value());
                }
            }
        }
        // Newest first; older ones only if every newer one is refused.
        for (ModelRelease release : candidates.values()) {
            if (target.offer(release)) {
                break;
            }
        }
        log.info(
                "Model watcher caught up on {}: {} releases of {}, {} revoked, serving v{}",
                topic.name(),
                candidates.size(),
                model,
                banned,
                target.version());
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (running) {
                // Revocations first: a release revoked before it arrives is never loaded.
                applyRevocations(revocationConsumer.poll(Duration.ofMillis(100)));
                for (ConsumerRecord<String, ModelRelease> r :
                        consumer.poll(Duration.ofMillis(400))) {
                    if (r.value() != null && model.equals(r.value().getModelName())) {
                        target.offer(r.value());
                    }
                }
                target.retryPending();
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("Model watcher stopped; serving keeps its current model", e);
        } finally {
            consumer.close();
            revocationConsumer.close();
        }
    }

    /** Bans the served model's revoked versions; how many records named it. */
    private int applyRevocations(Iterable<ConsumerRecord<String, ModelRevocation>> records) {
        int n = 0;
        for (ConsumerRecord<String, ModelRevocation> r : records) {
            ModelRevocation v = r.value();
            if (v != null && model.equals(v.getModelName())) {
                n++;
                if (target.revoke(v.getVersion(), v.getReason())) {
                    log.warn(
                            "{} v{} revoked by {} at {}: {}",
                            model,
                            v.getVersion(),
                            v.getRevokedBy(),
                            v.getRevokedAt(),
                            v.getReason());
                }
            }
        }
        return n;
    }

    /** Publishes this replica's rollback of a release as a revocation for the whole fleet. */
    private void publish(String name, long version, String reason, String instance) {
        ModelRevocation revocation =
                ModelRevocation.newBuilder()
                        .setModelName(name)
                        .setVersion(version)
                        .setReason("rolled back by " + instance + ": " + reason)
                        .setRevokedAt(Instant.now())
                        .setRevokedBy(instance)
                        .build();
        revocationProducer.send(
                new ProducerRecord<>(
                        revocations.name(), ModelRevocationKey.of(name, version), revocation),
                (metadata, e) -> {
                    if (e != null) {
                        log.error(
                                "Could not publish the revocation of {} v{}: other replicas keep"
                                        + " serving it until they fail on it themselves",
                                name,
                                version,
                                e);
                    } else {
                        log.warn("Published the revocation of {} v{} for the fleet", name, version);
                    }
                });
    }

    @Override
    public void close() {
        running = false;
        revocationProducer.close(Duration.ofSeconds(10));
        consumer.wakeup();
        revocationConsumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
