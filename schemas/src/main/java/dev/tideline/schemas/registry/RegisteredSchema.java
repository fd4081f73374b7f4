package dev.tideline.schemas.registry;

import org.apache.avro.Schema;

/**
 * One version of a subject.
 *
 * @param subject the subject
 * @param version the version within the subject
 * @param id the registry-wide schema id written into each record
 * @param schema the schema
 */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {}
