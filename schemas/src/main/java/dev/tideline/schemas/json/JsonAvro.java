package dev.tideline.schemas.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Converts between Avro records and JSON as people write it: plain values, a nullable field as its
 * bare value or null (not Avro's union-tagged form), timestamps as epoch milliseconds or ISO-8601,
 * bytes as base64.
 *
 * <p>Reading is strict: unknown fields, missing required fields and values of the wrong type are
 * refused with the JSON path of the problem.
 */
public final class JsonAvro {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Conversions.DecimalConversion DECIMAL =
            new Conversions.DecimalConversion();

    private JsonAvro() {}

    /**
     * Builds a generic record of {@code schema} from a JSON object.
     *
     * @throws JsonAvroException naming the JSON path of the first problem
     */
    public static GenericRecord toRecord(JsonNode json, Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("not a record schema: " + schema.getFullName());
        }
        return (GenericRecord) read(json, schema, "$");
    }

    /** Renders a generic or specific record as plain JSON. */
    public static ObjectNode toJson(GenericRecord record) {
        return (ObjectNode) write(record, record.getSchema());
    }

    private static Object read(JsonNode node, Schema schema, String path) {
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD:
                return readRecord(node, schema, path);
            case UNION:
                return readUnion(node, schema, path);
            case NULL:
                if (node == null || node.isNull()) {
                    return null;
                }
                throw mismatch(path, "null", node);
            case STRING:
                if (node.isTextual()) {
                    return node.textValue();
                }
                throw mismatch(path, "a string", node);
            case ENUM:
                if (node.isTextual() && schema.getEnumSymbols().contains(node.textValue())) {
                    return new GenericData.EnumSymbol(schema, node.textValue());
                }
                throw new JsonAvroException(
                        path, "expected one of " + schema.getEnumSymbols() + ", got " + node);
            case BOOLEAN:
                if (node.isBoolean()) {
                    return node.booleanValue();
                }
                throw mismatch(path, "true or false", node);
            case INT:
                if (logical instanceof LogicalTypes.Date && node.isTextual()) {
                    try {
                        return (int) LocalDate.parse(node.textValue()).toEpochDay();
                    } catch (DateTimeParseException e) {
                        throw new JsonAvroException(path, "expected an ISO-8601 date, got " + node);
                    }
                }
                if (node.isIntegralNumber() && node.canConvertToInt()) {
                    return node.intValue();
                }
                throw mismatch(path, "a 32-bit integer", node);
            case LONG:
                if (isTimestamp(logical) && node.isTextual()) {
                    return parseTimestamp(node.textValue(), logical, path);
                }
                if (node.isIntegralNumber() && node.canConvertToLong()) {
                    return node.longValue();
                }
                throw mismatch(
                        path,
                        isTimestamp(logical)
                                ? "epoch milliseconds or an ISO-8601 instant"
                                : "a 64-bit integer",
                        node);
            case FLOAT:
                if (node.isNumber()) {
                    return node.floatValue();
                }
                throw mismatch(path, "a number", node);
            case DOUBLE:
                if (node.isNumber()) {
                    return node.doubleValue();
                }
                throw mismatch(path, "a number", node);
            case BYTES:
                if (logical instanceof LogicalTypes.Decimal decimal) {
                    return readDecimal(node, schema, decimal, path);
                }
                return ByteBuffer.wrap(base64(node, path));
            case FIXED:
                byte[] bytes = base64(node, path);
                if (bytes.length != schema.getFixedSize()) {
                    throw new JsonAvroException(
                            path,
                            "expected " + schema.getFixedSize() + " bytes, got " + bytes.length);
                }
                return new GenericData.Fixed(schema, bytes);
            case ARRAY:
                if (!node.isArray()) {
                    throw mismatch(path, "an array", node);
                }
                List<Object> items = new ArrayList<>(node.size());
                for (int i = 0; i < node.size(); i++) {
                    items.add(read(node.get(i), schema.getElementType(), path + "[" + i + "]"));
                }
                return new GenericData.Array<>(schema, items);
            case MAP:
                if (!node.isObject()) {
                    throw mismatch(path, "an object", node);
                }
                Map<String, Object> map = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    map.put(
                            e.getKey(),
                            read(e.getValue(), schema.getValueType(), path + "." + e.getKey()));
                }
                return map;
            default:
                throw new JsonAvroException(path, "unsupported Avro type " + schema.getType());
        }
    }

    private static GenericRecord readRecord(JsonNode node, Schema schema, String path) {
        if (node == null || !node.isObject()) {
            throw mismatch(path, "an object (" + schema.getName() + ")", node);
        }
        List<String> unknown = new ArrayList<>();
        node.fieldNames()
                .forEachRemaining(
                        name -> {
                            if (schema.getField(name) == null) {
                                unknown.add(name);
                            }
                        });
        if (!unknown.isEmpty()) {
            throw new JsonAvroException(
                    path,
                    "unknown field"
                            + (unknown.size() > 1 ? "s " : " ")
                            + unknown
                            + " for "
                            + schema.getName()
                            + "; its fields are "
                            + fieldNames(schema.getFields()));
        }
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            JsonNode value = node.get(field.name());
            String fieldPath = path + "." + field.name();
            if (value == null) {
                if (!field.hasDefaultValue()) {
                    throw new JsonAvroException(fieldPath, "missing required field");
                }
                record.put(field.pos(), GenericData.get().getDefaultValue(field));
            } else {
                record.put(field.pos(), read(value, field.schema(), fieldPath));
            }
        }
        return record;
    }

    private static Object readUnion(JsonNode node, Schema schema, String path) {
        if (node == null || node.isNull()) {
            if (schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL)) {
                return null;
            }
            throw mismatch(path, "a value (the field is not nullable)", node);
        }
        List<String> reasons = new ArrayList<>();
        for (Schema branch : schema.getTypes()) {
            if (branch.getType() == Schema.Type.NULL) {
                continue;
            }
            try {
                return read(node, branch, path);
            } catch (JsonAvroException e) {
                reasons.add(e.getMessage());
            }
        }
        throw new JsonAvroException(
                path,
                reasons.size() == 1
                        ? reasons.get(0).substring(reasons.get(0).indexOf(": ") + 2)
                        : "matches no branch of " + schema + ": " + reasons);
    }

    private static boolean isTimestamp(LogicalType logical) {
        return logical instanceof LogicalTypes.TimestampMillis
                || logical instanceof LogicalTypes.TimestampMicros
                || logical instanceof LogicalTypes.LocalTimestampMillis
                || logical instanceof LogicalTypes.LocalTimestampMicros;
    }

    private static long parseTimestamp(String text, LogicalType logical, String path) {
        Instant instant;
        try {
            instant = Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                instant = OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                throw new JsonAvroException(
                        path,
                        "expected epoch milliseconds or an ISO-8601 instant such as"
                                + " 2026-11-23T10:15:30Z, got \""
                                + text
                                + "\"");
            }
        }
        boolean micros =
                logical instanceof LogicalTypes.TimestampMicros
                        || logical instanceof LogicalTypes.LocalTimestampMicros;
        return micros
                ? instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000
                : instant.toEpochMilli();
    }

    private static ByteBuffer readDecimal(
            JsonNode node, Schema schema, LogicalTypes.Decimal decimal, String path) {
        BigDecimal value;
        if (node.isNumber()) {
            value = node.decimalValue();
        } else if (node.isTextual()) {
            try {
                value = new BigDecimal(node.textValue());
            } catch (NumberFormatException e) {
                throw mismatch(path, "a decimal number", node);
            }
        } else {
            throw mismatch(path, "a decimal number", node);
        }
        try {
            value = value.setScale(decimal.getScale());
        } catch (ArithmeticException e) {
            throw new JsonAvroException(
                    path, "has more than " + decimal.getScale() + " decimal places: " + node);
        }
        return DECIMAL.toBytes(value, schema, decimal);
    }

    private static byte[] base64(JsonNode node, String path) {
        if (!node.isTextual()) {
            throw mismatch(path, "base64 text", node);
        }
        try {
            return Base64.getDecoder().decode(node.textValue());
        } catch (IllegalArgumentException e) {
            throw mismatch(path, "base64 text", node);
        }
    }

    private static JsonAvroException mismatch(String path, String expected, JsonNode actual) {
        return new JsonAvroException(
                path, "expected " + expected + ", got " + (actual == null ? "nothing" : actual));
    }

    private static String fieldNames(Collection<Schema.Field> fields) {
        return fields.stream().map(Schema.Field::name).collect(Collectors.joining(", ", "[", "]"));
    }

    private static JsonNode write(Object datum, Schema schema) {
        if (datum == null) {
            return NODES.nullNode();
        }
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD:
                GenericRecord record = (GenericRecord) datum;
                ObjectNode object = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    object.set(field.name(), write(record.get(field.pos()), field.schema()));
                }
                return object;
            case UNION:
                int branch = GenericData.get().resolveUnion(schema, datum);
                return write(datum, schema.getTypes().get(branch));
            case STRING:
            case ENUM:
                return NODES.textNode(datum.toString());
            case BOOLEAN:
                return NODES.booleanNode((Boolean) datum);
            case INT:
                if (logical instanceof LogicalTypes.Date) {
                    return NODES.textNode(LocalDate.ofEpochDay((Integer) datum).toString());
                }
                return NODES.numberNode((Integer) datum);
            case LONG:
                if (datum instanceof Instant instant) {
                    return NODES.textNode(instant.toString());
                }
                long value = (Long) datum;
                if (logical instanceof LogicalTypes.TimestampMillis) {
                    return NODES.textNode(Instant.ofEpochMilli(value).toString());
                }
                if (logical instanceof LogicalTypes.TimestampMicros) {
                    return NODES.textNode(
                            Instant.ofEpochSecond(
                                            Math.floorDiv(value, 1_000_000),
                                            Math.floorMod(value, 1_000_000) * 1_000L)
                                    .toString());
                }
                return NODES.numberNode(value);
            case FLOAT:
                float f = (Float) datum;
                return Float.isFinite(f) ? NODES.numberNode(f) : NODES.textNode(Float.toString(f));
            case DOUBLE:
                double d = (Double) datum;
                return Double.isFinite(d)
                        ? NODES.numberNode(d)
                        : NODES.textNode(Double.toString(d));
            case BYTES:
                ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                if (logical instanceof LogicalTypes.Decimal decimal) {
                    return NODES.numberNode(DECIMAL.fromBytes(buffer, schema, decimal));
                }
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            case FIXED:
                return NODES.textNode(
                        Base64.getEncoder().encodeToString(((GenericData.Fixed) datum).bytes()));
            case ARRAY:
                ArrayNode array = NODES.arrayNode();
                for (Object item : (Collection<?>) datum) {
                    array.add(write(item, schema.getElementType()));
                }
                return array;
            case MAP:
                ObjectNode map = NODES.objectNode();
                ((Map<?, ?>) datum)
                        .forEach((k, v) -> map.set(k.toString(), write(v, schema.getValueType())));
                return map;
            case NULL:
                return NODES.nullNode();
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
        }
    }
}
