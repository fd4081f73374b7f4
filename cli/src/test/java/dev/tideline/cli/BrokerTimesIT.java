package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The in-process broker's request times, as {@code bench e2e} logs them. */
@WithLocalStack
class BrokerTimesIT {

    @Test
    void describesTheProduceRequestsTheBrokerServedWithTheirParts(
            LocalStack stack, TestNamespace ns) throws Exception {
        String topic = ns.name("broker-times");
        Map<String, Object> client =
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (Admin admin = Admin.create(client)) {
            admin.createTopics(java.util.List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get();
        }

        String text = BrokerTimes.describe();

        assertThat(text)
                .containsPattern("Produce: [1-9][0-9]* requests, total mean")
                .contains("RequestQueue", "Local", "Remote", "ResponseQueue", "ResponseSend");
    }
}
