package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The in-process broker's request times, as {@code bench e2e} logs them. */
@WithLocalStack
class BrokerTimesIT {

    @Test
    void describesTheProduceRequestsTheBrokerServedWithTheirPartsAndErrors(
            LocalStack stack, TestNamespace ns) throws Exception {
        String topic = ns.name("broker-times");
        Map<String, Object> client =
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (Admin admin = Admin.create(client)) {
            admin.createTopics(
                            java.util.List.of(
                                    new NewTopic(topic, 1, (short) 1),
                                    new NewTopic(topic + "-small", 1, (short) 1)
                                            .configs(Map.of("max.message.bytes", "200"))))
                    .all()
                    .get();
        }
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get();
            // Over the topic's limit: the broker answers MESSAGE_TOO_LARGE.
            assertThatThrownBy(
                            () ->
                                    producer.send(
                                                    new ProducerRecord<>(
                                                            topic + "-small",
                                                            "k",
                                                            "v".repeat(1000)))
                                            .get())
                    .hasCauseInstanceOf(RecordTooLargeException.class);
        }

        String text = BrokerTimes.describe();

        assertThat(text)
                .containsPattern("Produce: [1-9][0-9]* requests, total mean")
                .contains("RequestQueue", "Local", "Remote", "ResponseQueue", "ResponseSend")
                .containsPattern("Produce: [^\\n]*; MESSAGE_TOO_LARGE [1-9]");
    }
}
