package dev.tideline.schemas;

import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalog's missing topics and registers its value schemas, idempotently.
 *
 * <p>Refuses to go on, with a message saying what to change, when an existing topic has another
 * partition count (co-partitioning would break) or another cleanup policy (compaction is part of a
 * topic's contract).
 */
public final class TopicBootstrap {

    private static final Logger log = LoggerFactory.getLogger(TopicBootstrap.class);

    /**
     * What a bootstrap did.
     *
     * @param created topics this run created
     * @param existing topics that were already there and match the catalog
     */
    public record Result(List<String> created, List<String> existing) {}

    private TopicBootstrap() {}

    /**
     * Ensures every topic exists with the catalog's settings and, when a registry is given, that
     * every value subject holds the current schema under the catalog's compatibility rule.
     *
     * @throws TopicMismatchException when an existing topic contradicts the catalog
     */
    public static Result ensure(
            Admin admin,
            TopicCatalog catalog,
            Optional<SchemaRegistryClient> registry,
            Duration timeout) {
        try {
            Result result = ensureTopics(admin, catalog, timeout);
            registry.ifPresent(r -> registerSchemas(r, catalog));
            log.info(
                    "topics ready: {} created, {} already present",
                    result.created().size(),
                    result.existing().size());
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException(
                    "cannot create the pipeline's topics: " + cause.getMessage(), cause);
        }
    }

    private static Result ensureTopics(Admin admin, TopicCatalog catalog, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long ms = timeout.toMillis();
        Set<String> present = admin.listTopics().names().get(ms, TimeUnit.MILLISECONDS);
        List<Topic<?, ?>> missing =
                catalog.all().stream().filter(t -> !present.contains(t.name())).toList();
        List<String> created = new ArrayList<>();
        if (!missing.isEmpty()) {
            Map<String, KafkaFuture<Void>> results =
                    admin.createTopics(missing.stream().map(Topic::toNewTopic).toList()).values();
            for (Topic<?, ?> topic : missing) {
                try {
                    results.get(topic.name()).get(ms, TimeUnit.MILLISECONDS);
                    created.add(topic.name());
                    log.info(
                            "created topic {} ({} partitions, replication {}, {})",
                            topic.name(),
                            topic.partitions(),
                            topic.replicationFactor(),
                            topic.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // Another instance created it meanwhile: it is checked like any existing one.
                }
            }
        }
        List<String> names = catalog.all().stream().map(Topic::name).toList();
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, TopicDescription> described = describe(admin, names, deadline);
        awaitLeaders(admin, created, described, deadline);
        List<ConfigResource> resources =
                names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs =
                admin.describeConfigs(resources).all().get(ms, TimeUnit.MILLISECONDS);
        List<String> problems = new ArrayList<>();
        for (Topic<?, ?> topic : catalog.all()) {
            int actual = described.get(topic.name()).partitions().size();
            if (actual != topic.partitions()) {
                problems.add(
                        String.format(
                                "topic %s has %d partitions but the catalog declares %d;"
                                        + " co-partitioned topics must agree, so either set"
                                        + " %s=%d or recreate the topic",
                                topic.name(),
                                actual,
                                topic.partitions(),
                                TopicCatalogConfig.PARTITIONS,
                                actual));
            }
            String wantPolicy = topic.configs().getOrDefault("cleanup.policy", "delete");
            ConfigEntry policy =
                    configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()))
                            .get("cleanup.policy");
            String havePolicy = policy == null ? "delete" : policy.value();
            if (!havePolicy.equals(wantPolicy)) {
                problems.add(
                        String.format(
                                "topic %s has cleanup.policy=%s but the catalog declares %s",
                                topic.name(), havePolicy, wantPolicy));
            }
        }
        if (!problems.isEmpty()) {
            throw new TopicMismatchException(
                    "refusing to start: existing topics do not match the catalog:\n  "
                            + String.join("\n  ", problems));
        }
        List<String> existing =
                names.stream().filter(n -> !created.contains(n)).collect(Collectors.toList());
        return new Result(List.copyOf(created), List.copyOf(existing));
    }

    /**
     * Describes the topics, waiting for ones created a moment ago: a broker serves a new topic's
     * metadata shortly after the controller acknowledged its creation.
     */
    private static Map<String, TopicDescription> describe(
            Admin admin, List<String> names, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        return retrying(
                deadline,
                UnknownTopicOrPartitionException.class,
                "topics not visible yet",
                left ->
                        admin.describeTopics(names)
                                .allTopicNames()
                                .get(left, TimeUnit.MILLISECONDS));
    }

    /**
     * Waits until the leader of every partition just created answers for it. The controller
     * acknowledges a topic before its brokers have loaded the partitions, and a broker answers a
     * write to one it has not loaded with NOT_LEADER_OR_FOLLOWER. An idempotent producer whose
     * first request met that while a later one landed retries it with OUT_OF_ORDER_SEQUENCE_NUMBER
     * until its delivery timeout drops it (KAFKA-15591, fixed in brokers after the ones Tideline
     * runs): a list-offsets request takes the same path to the partition as a write, so once it
     * succeeds a write does too.
     */
    private static void awaitLeaders(
            Admin admin,
            List<String> created,
            Map<String, TopicDescription> described,
            long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (created.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (String name : created) {
            for (TopicPartitionInfo p : described.get(name).partitions()) {
                partitions.put(new TopicPartition(name, p.partition()), OffsetSpec.latest());
            }
        }
        retrying(
                deadline,
                RetriableException.class,
                "new partitions not loaded yet",
                left -> admin.listOffsets(partitions).all().get(left, TimeUnit.MILLISECONDS));
    }

    /** An admin call given the milliseconds left before the deadline. */
    private interface AdminCall<T> {
        T call(long leftMs) throws InterruptedException, ExecutionException, TimeoutException;
    }

    /**
     * Runs {@code call} until it succeeds, retrying failures caused by {@code retriable} with a
     * back-off from 20 ms doubling to a second, until the deadline.
     */
    private static <T> T retrying(
            long deadline, Class<? extends Exception> retriable, String waiting, AdminCall<T> call)
            throws InterruptedException, ExecutionException, TimeoutException {
        long backoffMs = 20;
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return call.call(Math.max(1, left));
            } catch (ExecutionException e) {
                if (!retriable.isInstance(e.getCause())
                        || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs)
                                > deadline) {
                    throw e;
                }
                log.debug("{}, retrying in {} ms", waiting, backoffMs);
                Thread.sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 1_000);
            }
        }
    }

    private static void registerSchemas(SchemaRegistryClient registry, TopicCatalog catalog) {
        List<String> subjects = registry.subjects();
        for (Topic<String, ?> topic : catalog.avroTopics()) {
            Schema schema = topic.valueSchema().orElseThrow();
            String subject = topic.valueSubject();
            if (subjects.contains(subject)) {
                // Set the rule before registering, so an incompatible change is refused.
                registry.setCompatibility(subject, catalog.compatibility());
                registry.register(subject, schema);
            } else {
                registry.register(subject, schema);
                registry.setCompatibility(subject, catalog.compatibility());
            }
        }
    }
}
