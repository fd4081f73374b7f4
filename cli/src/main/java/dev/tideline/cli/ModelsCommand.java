package dev.tideline.cli;

import dev.tideline.schemas.ModelReleaseKey;
import dev.tideline.schemas.ModelRevocationKey;
import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.ModelRelease;
import dev.tideline.schemas.avro.ModelRevocation;
import dev.tideline.schemas.model.ReleaseSignature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tideline models}: the releases on {@code models.v1} and the fleet's revocations on {@code
 * models.revocations.v1}; an operator revokes a release (every replica stops serving it, and none
 * loads it again) or promotes a candidate the training job's gate refused.
 */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "List, revoke and promote model releases.",
        subcommands = {
            ModelsCommand.ListReleases.class,
            ModelsCommand.Revoke.class,
            ModelsCommand.Promote.class
        })
final class ModelsCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What the two topics hold for one model. */
    private record Fleet(
            Map<Long, ModelRelease> releases, Map<Long, ModelRevocation> revocations) {}

    private static Fleet read(Settings settings, TopicCatalog catalog, String model) {
        Map<Long, ModelRelease> releases = new TreeMap<>();
        for (ModelRelease r : readAll(settings, catalog.models())) {
            if (model.equals(r.getModelName())) {
                releases.put(r.getVersion(), r);
            }
        }
        Map<Long, ModelRevocation> revocations = new TreeMap<>();
        for (ModelRevocation r : readAll(settings, catalog.revocations())) {
            if (model.equals(r.getModelName())) {
                revocations.put(r.getVersion(), r);
            }
        }
        return new Fleet(releases, revocations);
    }

    /** Every value on a topic, from its start to its end as of now (read_committed). */
    private static <V> List<V> readAll(Settings settings, Topic<String, V> topic) {
        Map<String, Object> config = settings.kafkaClient();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024);
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer =
                new KafkaConsumer<>(
                        config, new StringDeserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(topic.name(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        out.add(r.value());
                    }
                }
            }
        }
        return out;
    }

    private static <V> void write(Settings settings, Topic<String, V> topic, String key, V value) {
        Map<String, Object> config = settings.kafkaClient();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 * 1024 * 1024);
        try (KafkaProducer<String, V> producer =
                new KafkaProducer<>(
                        config, new StringSerializer(), topic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot write to " + topic.name() + ": " + e, e);
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = {
                "The model's releases on models.v1 as compaction has left them (the newest"
                        + " promotable release and the newest candidate), and every revocation.",
                "One line each: version, status (promotable, candidate or revoked), created,"
                        + " AUC, examples trained, signing key."
            })
    static final class ListReleases implements Callable<Integer> {

        @Mixin CommonOptions options;

        @Spec CommandSpec spec;

        @Option(names = "--model", description = "Model name (default: ${DEFAULT-VALUE}).")
        String model = "fraud";

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Settings settings = Settings.load(options);
            Fleet fleet = read(settings, settings.catalog(settings.registry()), model);
            out.printf(
                    "%-8s %-11s %-24s %-7s %-10s %s%n",
                    "VERSION", "STATUS", "CREATED", "AUC", "EXAMPLES", "SIGNED BY");
            Map<Long, String> lines = new TreeMap<>();
            fleet.releases()
                    .forEach(
                            (version, r) -> {
                                ModelRevocation revoked = fleet.revocations().get(version);
                                Map<String, Double> m = r.getMetrics();
                                lines.put(
                                        version,
                                        String.format(
                                                "%-8d %-11s %-24s %-7s %-10s %s",
                                                version,
                                                revoked != null
                                                        ? "revoked"
                                                        : r.getPromotable()
                                                                ? "promotable"
                                                                : "candidate",
                                                r.getCreatedAt(),
                                                m.containsKey("auc")
                                                        ? String.format("%.4f", m.get("auc"))
                                                        : "-",
                                                m.containsKey("examples_trained")
                                                        ? String.valueOf(
                                                                m.get("examples_trained")
                                                                        .longValue())
                                                        : "-",
                                                r.getSigningKeyId() == null
                                                        ? "unsigned"
                                                        : r.getSigningKeyId()));
                            });
            lines.values().forEach(out::println);
            for (ModelRevocation r : fleet.revocations().values()) {
                out.printf(
                        "revoked v%d at %s by %s: %s%n",
                        r.getVersion(), r.getRevokedAt(), r.getRevokedBy(), r.getReason());
            }
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = {
                "Revoke a release for the whole fleet: every replica stops serving it within"
                        + " seconds (back to the model before it, or the fallback score), and a"
                        + " replica started later never loads it.",
                "Writes a record to models.revocations.v1 (compacted, keyed model/version)."
            })
    static final class Revoke implements Callable<Integer> {

        @Mixin CommonOptions options;

        @Spec CommandSpec spec;

        @Option(names = "--model", description = "Model name (default: ${DEFAULT-VALUE}).")
        String model = "fraud";

        @Parameters(index = "0", paramLabel = "VERSION", description = "The release's version.")
        long version;

        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Override
        public Integer call() {
            Settings settings = Settings.load(options);
            TopicCatalog catalog = settings.catalog(settings.registry());
            ModelRevocation revocation =
                    ModelRevocation.newBuilder()
                            .setModelName(model)
                            .setVersion(version)
                            .setReason(reason)
                            .setRevokedAt(Instant.now())
                            .setRevokedBy("operator:" + System.getProperty("user.name", "unknown"))
                            .build();
            write(
                    settings,
                    catalog.revocations(),
                    ModelRevocationKey.of(model, version),
                    revocation);
            spec.commandLine()
                    .getErr()
                    .printf("revoked %s v%d: %s%n", model, version, reason)
                    .flush();
            return 0;
        }
    }

    @Command(
            name = "promote",
            mixinStandardHelpOptions = true,
            description = {
                "Promote a candidate (a release the training job's gate refused) by hand: it is"
                        + " published again as promotable, and replicas swap to it as to any newer"
                        + " release. Only a version newer than the one in service takes effect.",
                "With --signing-key it is signed again (promotion changes what is signed);"
                        + " without, replicas that require signatures refuse it."
            })
    static final class Promote implements Callable<Integer> {

        @Mixin CommonOptions options;

        @Spec CommandSpec spec;

        @Option(names = "--model", description = "Model name (default: ${DEFAULT-VALUE}).")
        String model = "fraud";

        @Parameters(index = "0", paramLabel = "VERSION", description = "The candidate's version.")
        long version;

        @Option(
                names = "--signing-key",
                paramLabel = "PEM",
                description = "Ed25519 private key to sign the promoted release with.")
        Path signingKey;

        @Option(
                names = "--signing-key-id",
                description = "The key's id, as replicas' tideline.serving.trusted-keys name it.")
        String signingKeyId;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Settings settings = Settings.load(options);
            TopicCatalog catalog = settings.catalog(settings.registry());
            Fleet fleet = read(settings, catalog, model);
            ModelRelease release = fleet.releases().get(version);
            if (release == null) {
                err.printf(
                        "tideline: %s v%d is not on %s (it holds %s)%n",
                        model,
                        version,
                        catalog.models().name(),
                        fleet.releases().keySet().stream().map(v -> "v" + v).toList());
                err.flush();
                return 1;
            }
            Optional<ModelRevocation> revoked =
                    Optional.ofNullable(fleet.revocations().get(version));
            if (revoked.isPresent()) {
                err.printf(
                        "tideline: %s v%d was revoked (%s); a revoked release is never promoted%n",
                        model, version, revoked.get().getReason());
                err.flush();
                return 1;
            }
            if ((signingKey == null) != (signingKeyId == null)) {
                err.println("tideline: --signing-key and --signing-key-id go together");
                err.flush();
                return 2;
            }
            ModelRelease promoted =
                    ModelRelease.newBuilder(release)
                            .setPromotable(true)
                            .setSigningKeyId(null)
                            .setSignature(null)
                            .build();
            if (signingKey != null) {
                promoted =
                        ReleaseSignature.sign(
                                promoted, ReleaseSignature.privateKey(signingKey), signingKeyId);
            }
            Map<String, Double> metrics = new HashMap<>(promoted.getMetrics());
            metrics.put("promoted_by_operator", 1.0);
            promoted.setMetrics(metrics);
            write(settings, catalog.models(), ModelReleaseKey.of(promoted), promoted);
            err.printf(
                    "promoted %s v%d%s%n",
                    model,
                    version,
                    signingKey == null ? " (unsigned)" : ", signed " + signingKeyId);
            err.flush();
            return 0;
        }
    }
}
