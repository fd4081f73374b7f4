package dev.tideline.schemas.serde;

import org.apache.avro.Schema;

/** Chooses the registry subject of a record's schema. */
@FunctionalInterface
public interface SubjectNameStrategy {

    /** {@code <topic>-key} or {@code <topic>-value}: one evolving schema per topic. */
    SubjectNameStrategy TOPIC_NAME = (topic, isKey, schema) -> topic + (isKey ? "-key" : "-value");

    String subject(String topic, boolean isKey, Schema schema);
}
