package dev.tideline.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tideline.features.FeatureDef.Aggregation;
import dev.tideline.features.FeatureDef.DerivedFeature;
import dev.tideline.features.FeatureDef.EntityFeature;
import dev.tideline.features.FeatureDef.EntityFunction;
import dev.tideline.features.FeatureDef.EventFeature;
import dev.tideline.features.FeatureDef.MerchantAggregation;
import dev.tideline.features.FeatureDef.MerchantFeature;
import dev.tideline.features.FeatureDef.ProfileFeature;
import dev.tideline.features.FeatureDef.ProfileField;
import dev.tideline.features.FeatureDef.WindowFeature;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Reads and checks a feature spec; every error names the entry that caused it. */
final class SpecParser {

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_.-]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]+");
    private static final Set<String> ROOT_KEYS =
            Set.of(
                    "id",
                    "version",
                    "tiles_per_window",
                    "grace",
                    "base_currency",
                    "rates",
                    "windows",
                    "features");
    private static final Set<String> FEATURE_KEYS =
            Set.of(
                    "name",
                    "kind",
                    "key",
                    "field",
                    "agg",
                    "fn",
                    "where",
                    "window",
                    "windows",
                    "sketch_bits",
                    "numerator",
                    "denominator",
                    "default",
                    "transform");
    private static final Set<String> FILTER_KEYS =
            Set.of("field", "in", "eq", "gt", "gte", "lt", "lte");

    static final int DEFAULT_TILES = 12;
    static final Duration DEFAULT_GRACE = Duration.ofMinutes(2);
    static final int DEFAULT_SKETCH_BITS = 64;
    static final int MAX_SKETCH_BITS = 1024;

    private final String source;
    private final Map<String, Transform> transforms = new HashMap<>();

    SpecParser(String source) {
        this.source = source;
    }

    FeatureSpec parse(String text) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new InvalidSpecException(
                    "feature spec " + source + " is not valid YAML or JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw fail("the spec must be a mapping with id, version, windows and features");
        }
        checkKeys(root, ROOT_KEYS, "the spec");
        String id = text(root, "id", "the spec");
        if (!ID.matcher(id).matches()) {
            throw fail("id '" + id + "' must match " + ID.pattern());
        }
        int version = integer(root, "version", "the spec", null);
        if (version < 1) {
            throw fail("version must be 1 or more, not " + version);
        }
        int tiles = integer(root, "tiles_per_window", "the spec", DEFAULT_TILES);
        if (tiles < 2 || tiles > 1000) {
            throw fail("tiles_per_window must be between 2 and 1000, not " + tiles);
        }
        Duration grace = duration(root, "grace", "the spec", DEFAULT_GRACE);
        if (grace.isNegative()) {
            throw fail("grace must not be negative, not " + grace);
        }
        Map<String, Window> windows = windows(root.get("windows"), tiles);
        List<FeatureDef> features = features(root.get("features"), windows);
        Duration smallest =
                windows.values().stream().map(Window::size).min(Duration::compareTo).orElseThrow();
        if (grace.compareTo(smallest) > 0) {
            throw fail("grace " + grace + " is longer than the smallest window " + smallest);
        }
        return new FeatureSpec(
                id,
                version,
                tiles,
                grace,
                List.copyOf(windows.values()),
                features,
                transforms,
                money(root));
    }

    /** {@code base_currency} and {@code rates}: both or neither. */
    private Money money(JsonNode root) {
        JsonNode base = root.get("base_currency");
        JsonNode rates = root.get("rates");
        if (base == null && rates == null) {
            return Money.NONE;
        }
        if (base == null || !base.isTextual() || rates == null || !rates.isObject()) {
            throw fail(
                    "base_currency (an ISO 4217 code) and rates (a mapping of currency to units of"
                            + " the base currency per unit) go together");
        }
        String code = base.asText();
        currency(code, "base_currency");
        Map<String, Double> out = new LinkedHashMap<>();
        var fields = rates.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            currency(e.getKey(), "rates");
            if (!e.getValue().isNumber()
                    || !(e.getValue().asDouble() > 0)
                    || Double.isInfinite(e.getValue().asDouble())) {
                throw fail(
                        "rates: the rate of "
                                + e.getKey()
                                + " must be a positive number, not "
                                + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asDouble());
        }
        return new Money(code, out);
    }

    private void currency(String code, String where) {
        try {
            TransactionValidator.currencyDigits(code);
        } catch (RejectedRecordException e) {
            throw fail(where + ": " + e.getMessage());
        }
    }

    private Map<String, Window> windows(JsonNode node, int tiles) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw fail("windows must be a non-empty list of {name, size}");
        }
        Map<String, Window> windows = new LinkedHashMap<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode w = node.get(i);
            String where = "windows[" + i + "]";
            checkKeys(w, Set.of("name", "size"), where);
            String name = text(w, "name", where);
            where = where + " '" + name + "'";
            if (!NAME.matcher(name).matches()) {
                throw fail(where + ": name must match " + NAME.pattern());
            }
            Duration size = duration(w, "size", where, null);
            if (size.isNegative() || size.isZero()) {
                throw fail(where + ": size must be positive");
            }
            if (size.toMillis() % tiles != 0) {
                throw fail(
                        where
                                + ": size "
                                + size
                                + " does not split into "
                                + tiles
                                + " tiles of whole milliseconds");
            }
            if (windows.put(name, new Window(name, size, tiles)) != null) {
                throw fail(where + ": a window of that name is already declared");
            }
        }
        return windows;
    }

    private List<FeatureDef> features(JsonNode node, Map<String, Window> windows) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw fail("features must be a non-empty list");
        }
        List<FeatureDef> features = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        Set<String> merchant = new TreeSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode f = node.get(i);
            String where = "features[" + i + "]";
            if (!f.isObject()) {
                throw fail(where + " must be a mapping");
            }
            String name = text(f, "name", where);
            where = where + " '" + name + "'";
            checkKeys(f, FEATURE_KEYS, where);
            if (!NAME.matcher(name).matches()) {
                throw fail(where + ": name must match " + NAME.pattern());
            }
            Transform transform = transform(f, where);
            for (FeatureDef def : feature(f, name, where, windows, names, merchant)) {
                if (def instanceof MerchantFeature) {
                    merchant.add(def.name());
                }
                if (!names.add(def.name())) {
                    throw fail(where + ": feature '" + def.name() + "' is declared twice");
                }
                features.add(def);
                if (transform != Transform.NONE) {
                    transforms.put(def.name(), transform);
                }
            }
        }
        return features;
    }

    /** {@code transform}: none (the default) or log; it applies to every kind of feature. */
    private Transform transform(JsonNode f, String where) {
        if (!f.has("transform")) {
            return Transform.NONE;
        }
        return choice(f, "transform", where, Transform.class);
    }

    private List<FeatureDef> feature(
            JsonNode f,
            String name,
            String where,
            Map<String, Window> windows,
            Set<String> earlier,
            Set<String> merchant) {
        String kind = text(f, "kind", where);
        double dflt = number(f, "default", where, 0.0);
        switch (kind) {
            case "event":
                only(f, where, "name", "kind", "field", "default");
                return List.of(new EventFeature(name, numericField(f, where), dflt));
            case "entity":
                {
                    only(f, where, "name", "kind", "fn", "field", "default");
                    EntityFunction fn = choice(f, "fn", where, EntityFunction.class);
                    if (fn == EntityFunction.TIME_SINCE_LAST) {
                        if (f.has("field")) {
                            throw fail(where + ": time_since_last takes no field");
                        }
                        return List.of(new EntityFeature(name, fn, Optional.empty(), dflt));
                    }
                    return List.of(
                            new EntityFeature(name, fn, Optional.of(numericField(f, where)), dflt));
                }
            case "profile":
                only(f, where, "name", "kind", "field", "default");
                return List.of(
                        new ProfileFeature(
                                name, choice(f, "field", where, ProfileField.class), dflt));
            case "derived":
                {
                    only(f, where, "name", "kind", "numerator", "denominator", "default");
                    String num = text(f, "numerator", where);
                    String den = text(f, "denominator", where);
                    for (String ref : List.of(num, den)) {
                        if (!earlier.contains(ref)) {
                            throw fail(
                                    where
                                            + ": '"
                                            + ref
                                            + "' is not a feature declared before this one");
                        }
                        if (merchant.contains(ref)) {
                            throw fail(
                                    where
                                            + ": '"
                                            + ref
                                            + "' is a merchant feature, completed after derived"
                                            + " features are; derive from entity features only");
                        }
                    }
                    return List.of(new DerivedFeature(name, num, den, dflt));
                }
            case "window":
                if (f.has("key") && !f.get("key").asText().equals("entity")) {
                    throw fail(
                            where
                                    + ": window features are keyed by entity; features keyed by"
                                    + " merchant_id are kind merchant");
                }
                return windowFeatures(f, name, where, windows, dflt);
            case "merchant":
                return merchantFeatures(f, name, where, windows, dflt);
            default:
                throw fail(
                        where
                                + ": unknown kind '"
                                + kind
                                + "' (expected event, window, entity, profile, merchant or"
                                + " derived)");
        }
    }

    private List<FeatureDef> windowFeatures(
            JsonNode f, String name, String where, Map<String, Window> windows, double dflt) {
        Aggregation agg = choice(f, "agg", where, Aggregation.class);
        Optional<Field> field = Optional.empty();
        if (agg.needsNumericField()) {
            field = Optional.of(numericField(f, where));
        } else if (agg == Aggregation.DISTINCT) {
            field = Optional.of(anyField(f, where));
        } else if (f.has("field")) {
            throw fail(where + ": " + FeatureSpec.lower(agg) + " counts events and takes no field");
        }
        Optional<Filter> filter =
                f.has("where") ? Optional.of(filter(f.get("where"), where)) : Optional.empty();
        if (agg == Aggregation.RATIO && filter.isEmpty()) {
            throw fail(where + ": ratio needs a where condition: the share of events matching it");
        }
        int bits = 0;
        if (agg == Aggregation.DISTINCT) {
            bits = integer(f, "sketch_bits", where, DEFAULT_SKETCH_BITS);
            if (bits < 64 || bits > MAX_SKETCH_BITS || bits % 64 != 0) {
                throw fail(
                        where
                                + ": sketch_bits must be a multiple of 64 from 64 to "
                                + MAX_SKETCH_BITS);
            }
        } else if (f.has("sketch_bits")) {
            throw fail(where + ": sketch_bits applies to distinct only");
        }
        if (f.has("window") == f.has("windows")) {
            throw fail(where + ": give exactly one of window (one name) or windows (a list)");
        }
        List<FeatureDef> out = new ArrayList<>();
        if (f.has("window")) {
            out.add(
                    new WindowFeature(
                            name,
                            agg,
                            field,
                            filter,
                            window(f.get("window"), where, windows),
                            bits,
                            dflt));
        } else {
            JsonNode list = f.get("windows");
            if (!list.isArray() || list.isEmpty()) {
                throw fail(where + ": windows must be a non-empty list of window names");
            }
            for (JsonNode w : list) {
                Window window = window(w, where, windows);
                out.add(
                        new WindowFeature(
                                name + "_" + window.name(),
                                agg,
                                field,
                                filter,
                                window,
                                bits,
                                dflt));
            }
        }
        return out;
    }

    private List<FeatureDef> merchantFeatures(
            JsonNode f, String name, String where, Map<String, Window> windows, double dflt) {
        only(f, where, "name", "kind", "key", "agg", "window", "windows", "default");
        if (f.has("key") && !f.get("key").asText().equals("merchant_id")) {
            throw fail(
                    where
                            + ": key '"
                            + f.get("key").asText()
                            + "' is not supported: merchant features are keyed by merchant_id");
        }
        MerchantAggregation agg = choice(f, "agg", where, MerchantAggregation.class);
        if (f.has("window") == f.has("windows")) {
            throw fail(where + ": give exactly one of window (one name) or windows (a list)");
        }
        List<FeatureDef> out = new ArrayList<>();
        if (f.has("window")) {
            out.add(new MerchantFeature(name, agg, window(f.get("window"), where, windows), dflt));
        } else {
            JsonNode list = f.get("windows");
            if (!list.isArray() || list.isEmpty()) {
                throw fail(where + ": windows must be a non-empty list of window names");
            }
            for (JsonNode w : list) {
                Window window = window(w, where, windows);
                out.add(new MerchantFeature(name + "_" + window.name(), agg, window, dflt));
            }
        }
        return out;
    }

    private Window window(JsonNode node, String where, Map<String, Window> windows) {
        Window w = windows.get(node.asText());
        if (!node.isValueNode() || w == null) {
            throw fail(
                    where
                            + ": unknown window '"
                            + node.asText()
                            + "' (declared: "
                            + String.join(", ", windows.keySet())
                            + ")");
        }
        return w;
    }

    private Filter filter(JsonNode node, String featureWhere) {
        String where = featureWhere + " where";
        if (!node.isObject()) {
            throw fail(where + ": must be a mapping such as {field: channel, in: [ECOMMERCE]}");
        }
        checkKeys(node, FILTER_KEYS, where);
        Field field = anyField(node, where);
        TreeSet<String> in = new TreeSet<>();
        if (node.has("in")) {
            if (!node.get("in").isArray() || node.get("in").isEmpty()) {
                throw fail(where + ": in must be a non-empty list");
            }
            node.get("in").forEach(v -> in.add(v.asText()));
        }
        if (node.has("eq")) {
            in.add(node.get("eq").asText());
        }
        Double gt = optionalNumber(node, "gt", where);
        Double gte = optionalNumber(node, "gte", where);
        Double lt = optionalNumber(node, "lt", where);
        Double lte = optionalNumber(node, "lte", where);
        boolean bounds = gt != null || gte != null || lt != null || lte != null;
        if (field.numeric() && !in.isEmpty()) {
            throw fail(where + ": " + field.specName() + " is numeric: use gt, gte, lt or lte");
        }
        if (!field.numeric() && bounds) {
            throw fail(where + ": " + field.specName() + " is not numeric: use in or eq");
        }
        if (in.isEmpty() && !bounds) {
            throw fail(where + ": give a condition (in, eq, gt, gte, lt or lte)");
        }
        return new Filter(field, in, gt, gte, lt, lte);
    }

    private Field numericField(JsonNode node, String where) {
        Field field = anyField(node, where);
        if (!field.numeric()) {
            throw fail(
                    where
                            + ": field '"
                            + field.specName()
                            + "' is not numeric (numeric: amount, amount_minor)");
        }
        return field;
    }

    private Field anyField(JsonNode node, String where) {
        String name = text(node, "field", where);
        return Field.bySpecName(name)
                .orElseThrow(
                        () ->
                                fail(
                                        where
                                                + ": unknown field '"
                                                + name
                                                + "' (expected one of "
                                                + Field.choices()
                                                + ")"));
    }

    private <E extends Enum<E>> E choice(JsonNode node, String key, String where, Class<E> type) {
        String value = text(node, key, where);
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String choices =
                    Arrays.stream(type.getEnumConstants())
                            .map(FeatureSpec::lower)
                            .collect(Collectors.joining(", "));
            throw fail(
                    where
                            + ": unknown "
                            + key
                            + " '"
                            + value
                            + "' (expected one of "
                            + choices
                            + ")");
        }
    }

    private void only(JsonNode node, String where, String... allowed) {
        Set<String> keys = Set.of(allowed);
        node.fieldNames()
                .forEachRemaining(
                        k -> {
                            if (!keys.contains(k) && !k.equals("transform")) {
                                throw fail(
                                        where
                                                + ": '"
                                                + k
                                                + "' does not apply to kind "
                                                + node.get("kind").asText());
                            }
                        });
    }

    private void checkKeys(JsonNode node, Set<String> allowed, String where) {
        if (!node.isObject()) {
            throw fail(where + " must be a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw fail(
                        where
                                + ": unknown key '"
                                + key
                                + "' (expected one of "
                                + String.join(", ", new TreeSet<>(allowed))
                                + ")");
            }
        }
    }

    private String text(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull() || !value.isValueNode() || value.asText().isBlank()) {
            throw fail(where + ": '" + key + "' is required");
        }
        return value.asText().trim();
    }

    private Duration duration(JsonNode node, String key, String where, Duration dflt) {
        if (!node.has(key) && dflt != null) {
            return dflt;
        }
        String value = text(node, key, where);
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw fail(
                    where
                            + ": "
                            + key
                            + " '"
                            + value
                            + "' must be an ISO-8601 duration such as PT5M or PT24H");
        }
    }

    private int integer(JsonNode node, String key, String where, Integer dflt) {
        JsonNode value = node.get(key);
        if (value == null) {
            if (dflt == null) {
                throw fail(where + ": '" + key + "' is required");
            }
            return dflt;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw fail(
                    where + ": '" + key + "' must be a whole number, not '" + value.asText() + "'");
        }
        return value.intValue();
    }

    private double number(JsonNode node, String key, String where, double dflt) {
        Double value = optionalNumber(node, key, where);
        return value == null ? dflt : value;
    }

    private Double optionalNumber(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null) {
            return null;
        }
        if (!value.isNumber() || !Double.isFinite(value.doubleValue())) {
            throw fail(
                    where
                            + ": '"
                            + key
                            + "' must be a finite number, not '"
                            + value.asText()
                            + "'");
        }
        return value.doubleValue();
    }

    private InvalidSpecException fail(String message) {
        return new InvalidSpecException("feature spec " + source + ": " + message);
    }
}
