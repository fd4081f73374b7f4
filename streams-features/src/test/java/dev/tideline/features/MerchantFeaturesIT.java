package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.avro.Channel;
import dev.tideline.schemas.avro.FeatureVector;
import dev.tideline.schemas.avro.Label;
import dev.tideline.schemas.avro.Transaction;
import dev.tideline.testkit.TestCatalogs;
import dev.tideline.testkit.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merchant features against an oracle, on a real broker with several partitions: payments of
 * accounts spread over the partitions, a fifth of them out of event-time order within the grace,
 * and chargebacks naming the merchant between them. Each payment is written once the one before it
 * has its vector, and each chargeback once the merchant's task has taken it (its offset committed),
 * so the order in which a merchant's task takes them is the order written. Chargebacks are reported
 * up to a minute before their merchant's latest payment, so out-of-order payments after them may
 * lie before them. The oracle is the README's definition ("Merchant features"): a payment's window
 * counts the payments and the frauds reported that reached its merchant before it (and itself)
 * whose tile is not after its own and lies in the window's tiles; the rate is frauds over payments.
 */
@WithLocalStack
class MerchantFeaturesIT {

    private static final int PARTITIONS = 4;
    private static final int PAYMENTS = 80;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String[] FEATURES = {
        "merchant_txn_count_5m",
        "merchant_txn_count_1h",
        "merchant_fraud_count_5m",
        "merchant_fraud_count_1h",
        "merchant_fraud_count_24h",
        "merchant_fraud_rate_1h",
        "merchant_fraud_rate_24h"
    };

    private final FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);

    /** Things taken before a payment but left out for lying in a later tile: payments, frauds. */
    private final int[] skipped = new int[2];

    /** One thing a merchant's task takes: a payment (its vector) or a reported fraud. */
    private record Taken(String merchant, long time, boolean payment) {}

    @Test
    void eachPaymentCountsWhatReachedItsMerchantBeforeItWithinItsWindows(
            LocalStack stack, TestNamespace ns, @TempDir Path stateDir) {
        TopicCatalog catalog = TestCatalogs.catalog(stack, ns.prefix(), PARTITIONS);
        String app = ns.prefix() + "features";
        Map<String, String> config = new HashMap<>();
        config.put(ClientSettings.BOOTSTRAP, stack.bootstrapServers());
        config.put(ClientSettings.REGISTRY_URL, stack.registryUrl());
        config.put("tideline.topics.prefix", ns.prefix());
        config.put("tideline.topics.partitions", String.valueOf(PARTITIONS));
        config.put(FeatureConfig.APPLICATION_ID, app);
        config.put(FeatureConfig.STATE_DIR, stateDir.toString());
        config.put(FeatureConfig.HTTP_PORT, "-1");
        String frauds = FeatureTopology.internalTopic(app, MerchantRouting.FRAUDS_BY_MERCHANT);

        Random random = new Random(21);
        // Three hours ago, on an hour: every window's tiles start there.
        Instant base = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
        List<Taken> taken = new ArrayList<>();
        Map<String, float[]> expected = new HashMap<>();
        Map<String, Long> latestAt = new HashMap<>();
        Map<String, List<String>> paymentsAt = new HashMap<>();
        int out = 0;
        int late = 0;
        int fraudCount = 0;
        try (FeatureApp features = FeatureApp.start(new FeatureConfig(config));
                KafkaProducer<String, Transaction> payments =
                        producer(stack, catalog.transactions().valueSerde().serializer());
                Admin admin =
                        Admin.create(
                                Map.of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        stack.bootstrapServers()));
                KafkaProducer<String, Label> labels =
                        producer(stack, catalog.labels().valueSerde().serializer());
                KafkaConsumer<byte[], FeatureVector> vectors =
                        Topics.fromStart(
                                stack.bootstrapServers(),
                                catalog.features().name(),
                                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                                catalog.features().valueSerde().deserializer())) {
            for (int i = 0; i < PAYMENTS; i++) {
                long t = base.toEpochMilli() + i * 20_000L;
                if (random.nextInt(5) == 0) {
                    t -= 1 + random.nextInt(100_000); // out of order, within the grace (2 min)
                    late++;
                }
                String merchant = "m" + random.nextInt(3);
                String entity = "e" + random.nextInt(12);
                String txn = "t" + i;
                payments.send(
                        new ProducerRecord<>(
                                catalog.transactions().name(),
                                null,
                                t,
                                entity,
                                tx(txn, entity, merchant, t)));
                payments.flush();
                taken.add(new Taken(merchant, t, true));
                expected.put(txn, oracle(taken));
                latestAt.merge(merchant, t, Math::max);
                paymentsAt.computeIfAbsent(merchant, m -> new ArrayList<>()).add(txn);
                out++;
                awaitVectors(vectors, out);

                if (i > 5 && random.nextInt(4) == 0) {
                    // A chargeback for an earlier payment there, reported up to a minute before
                    // that merchant's latest payment: payments still to come may lie before it.
                    String m = merchant;
                    long reported = latestAt.get(m) - random.nextInt(60_000);
                    List<String> there = paymentsAt.get(m);
                    String victim = there.get(random.nextInt(there.size()));
                    long before = Topics.endOffsetSum(stack.bootstrapServers(), frauds);
                    labels.send(
                            new ProducerRecord<>(
                                    catalog.labels().name(),
                                    null,
                                    reported,
                                    victim,
                                    Label.newBuilder()
                                            .setTxnId(victim)
                                            .setAccountId("e0")
                                            .setIsFraud(true)
                                            .setReportedAt(Instant.ofEpochMilli(reported))
                                            .setMerchantId(m)
                                            .build()));
                    labels.flush();
                    // Taken by the merchant's task (its offset committed) before anything else
                    // is written: the order taken is the order written.
                    await().atMost(TIMEOUT)
                            .until(
                                    () -> {
                                        long end =
                                                Topics.endOffsetSum(
                                                        stack.bootstrapServers(), frauds);
                                        return end > before && committed(admin, app, frauds) >= end;
                                    });
                    taken.add(new Taken(m, reported, false));
                    fraudCount++;
                }
            }
            assertThat(late).as("out-of-order payments").isGreaterThan(8);
            assertThat(fraudCount).as("frauds").isGreaterThan(10);

            Map<String, FeatureVector> byTxn = new HashMap<>();
            for (ConsumerRecord<byte[], FeatureVector> r : received) {
                byTxn.put(r.value().getTxnId(), r.value());
            }
            assertThat(byTxn).hasSize(PAYMENTS);
            List<String> differences = new ArrayList<>();
            int withFrauds = 0;
            for (Map.Entry<String, float[]> e : expected.entrySet()) {
                FeatureVector v = byTxn.get(e.getKey());
                for (int f = 0; f < FEATURES.length; f++) {
                    double got = v.getValues().get(spec.indexOf(FEATURES[f]).orElseThrow());
                    double want = spec.transform(FEATURES[f]).apply(e.getValue()[f]);
                    if (Math.abs(got - want) > 1e-6) {
                        differences.add(
                                e.getKey() + " " + FEATURES[f] + ": " + got + ", oracle " + want);
                    }
                }
                if (e.getValue()[4] > 0) {
                    withFrauds++;
                }
            }
            assertThat(differences).isEmpty();
            // The input exercised the rule: some payments and frauds had reached a merchant before
            // a payment whose tile lies before theirs.
            assertThat(skipped[0]).as("payments taken before, in a later tile").isGreaterThan(0);
            assertThat(skipped[1]).as("frauds taken before, in a later tile").isGreaterThan(0);
            assertThat(withFrauds).as("payments that saw a fraud").isGreaterThan(10);
        }
    }

    private final List<ConsumerRecord<byte[], FeatureVector>> received = new ArrayList<>();

    private void awaitVectors(KafkaConsumer<byte[], FeatureVector> vectors, int count) {
        await().atMost(TIMEOUT)
                .until(
                        () -> {
                            vectors.poll(Duration.ofMillis(100)).forEach(received::add);
                            return received.size() >= count;
                        });
    }

    /** The sum of the application's committed offsets on a topic's partitions. */
    private static long committed(Admin admin, String group, String topic) throws Exception {
        return admin
                .listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get()
                .entrySet()
                .stream()
                .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }

    /** The merchant features of the last payment in {@code taken}, by the README's definition. */
    private float[] oracle(List<Taken> taken) {
        Taken p = taken.get(taken.size() - 1);
        float[] out = new float[FEATURES.length];
        double[] payments = new double[3];
        double[] frauds = new double[3];
        Window[] windows = new Window[3];
        for (Window w : spec.windows()) {
            int i =
                    switch (w.name()) {
                        case "5m" -> 0;
                        case "1h" -> 1;
                        default -> 2;
                    };
            windows[i] = w;
        }
        for (int i = 0; i < 3; i++) {
            long k = windows[i].tileOf(p.time());
            for (Taken t : taken) {
                long tile = windows[i].tileOf(t.time());
                if (!t.merchant().equals(p.merchant())) {
                    continue;
                }
                if (tile > k) {
                    if (i == 0) {
                        skipped[t.payment() ? 0 : 1]++;
                    }
                } else if (tile > k - windows[i].tiles()) {
                    if (t.payment()) {
                        payments[i]++;
                    } else {
                        frauds[i]++;
                    }
                }
            }
        }
        out[0] = (float) payments[0];
        out[1] = (float) payments[1];
        out[2] = (float) frauds[0];
        out[3] = (float) frauds[1];
        out[4] = (float) frauds[2];
        out[5] = (float) Math.min(1.0, frauds[1] / payments[1]);
        out[6] = (float) Math.min(1.0, frauds[2] / payments[2]);
        return out;
    }

    private static Transaction tx(String id, String entity, String merchant, long at) {
        return Transaction.newBuilder()
                .setTxnId(id)
                .setEntityId(entity)
                .setMerchantId(merchant)
                .setAmountMinor(2_500)
                .setCurrency("EUR")
                .setCountry("DE")
                .setChannel(Channel.CARD_PRESENT)
                .setEventTime(Instant.ofEpochMilli(at))
                .build();
    }

    private static <V> KafkaProducer<String, V> producer(
            LocalStack stack, org.apache.kafka.common.serialization.Serializer<V> values) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), values);
    }
}
