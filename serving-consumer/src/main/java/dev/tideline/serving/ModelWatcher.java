package dev.tideline.serving;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.avro.ModelRelease;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted model topic. At start it reads the topic to its end and offers only the
 * newest promotable release of the served model, so a restart does not load every past model; then
 * it offers each new release as it arrives.
 */
public final class ModelWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelWatcher.class);

    private final KafkaConsumer<String, ModelRelease> consumer;
    private final Topic<String, ModelRelease> topic;
    private final String model;
    private final ModelSwitch target;
    private final Thread thread;
    private volatile boolean running = true;

    public ModelWatcher(
            Map<String, Object> clientConfig,
            Topic<String, ModelRelease> topic,
            String model,
            ModelSwitch target) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024);
        this.consumer =
                new KafkaConsumer<>(
                        config, new StringDeserializer(), topic.valueSerde().deserializer());
        this.topic = topic;
        this.model = model;
        this.target = target;
        this.thread = new Thread(this::run, "tideline-model-watcher");
        thread.setDaemon(true);
    }

    /** Loads the newest usable release before returning, then follows the topic. */
    public ModelWatcher start() {
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
                "Model watcher caught up on {}: {} releases of {}, serving v{}",
                topic.name(),
                candidates.size(),
                model,
                target.version());
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, ModelRelease> r :
                        consumer.poll(Duration.ofMillis(500))) {
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
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
