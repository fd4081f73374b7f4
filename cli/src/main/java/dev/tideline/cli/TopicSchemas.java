package dev.tideline.cli;

import dev.tideline.schemas.Topic;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.registry.SchemaNotFoundException;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.Schema;

/** Finds the value schema and key field of a topic named on the command line. */
final class TopicSchemas {

    record Resolved(Schema schema, Optional<String> keyField) {}

    private TopicSchemas() {}

    /**
     * The catalog's contract for a pipeline topic, otherwise the latest schema registered for
     * {@code <topic>-value}.
     */
    static Resolved resolve(String topic, TopicCatalog catalog, SchemaRegistryClient registry) {
        Optional<Topic<?, ?>> known = catalog.byName(topic);
        if (known.isPresent() && known.get().valueSchema().isPresent()) {
            return new Resolved(known.get().valueSchema().get(), known.get().keyField());
        }
        try {
            return new Resolved(registry.latest(topic + "-value").schema(), Optional.empty());
        } catch (SchemaNotFoundException e) {
            throw new IllegalArgumentException(
                    "topic "
                            + topic
                            + " is not an Avro topic of the catalog and the registry has no"
                            + " subject "
                            + topic
                            + "-value; pipeline topics are "
                            + catalog.avroTopics().stream()
                                    .map(Topic::name)
                                    .collect(Collectors.joining(", ")));
        }
    }
}
