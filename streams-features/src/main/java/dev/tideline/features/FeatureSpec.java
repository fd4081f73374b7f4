package dev.tideline.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.features.FeatureDef.DerivedFeature;
import dev.tideline.features.FeatureDef.EntityFeature;
import dev.tideline.features.FeatureDef.EventFeature;
import dev.tideline.features.FeatureDef.MerchantFeature;
import dev.tideline.features.FeatureDef.ProfileFeature;
import dev.tideline.features.FeatureDef.WindowFeature;
import dev.tideline.schemas.model.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed, validated feature spec: its windows and the ordered list of features that make up each
 * vector, with a fingerprint of its canonical form.
 *
 * <p>The canonical form is the spec with every window expansion applied and every default filled
 * in, as compact JSON with a fixed key order. Formatting, comments and the choice between the short
 * ({@code windows: [...]}) and long forms do not change it; any change to what a vector means does.
 */
public final class FeatureSpec {

    /** The spec shipped with Tideline and used when none is configured. */
    public static final String DEFAULT = "payments";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final int version;
    private final int tilesPerWindow;
    private final Duration grace;
    private final List<Window> windows;
    private final List<FeatureDef> features;
    private final Map<String, Transform> transforms;
    private final Money money;
    private final String canonical;
    private final String fingerprint;

    FeatureSpec(
            String id,
            int version,
            int tilesPerWindow,
            Duration grace,
            List<Window> windows,
            List<FeatureDef> features,
            Map<String, Transform> transforms,
            Money money) {
        this.id = id;
        this.version = version;
        this.tilesPerWindow = tilesPerWindow;
        this.grace = grace;
        this.windows = List.copyOf(windows);
        this.features = List.copyOf(features);
        this.transforms = Map.copyOf(transforms);
        this.money = money;
        this.canonical = canonicalJson();
        this.fingerprint = Digests.sha256(canonical);
    }

    /** Parses a spec from YAML or JSON text; {@code source} names it in error messages. */
    public static FeatureSpec parse(String text, String source) {
        return new SpecParser(source).parse(text);
    }

    /** Reads a spec file. */
    public static FeatureSpec load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new InvalidSpecException("cannot read feature spec " + file + ": " + e, e);
        }
    }

    /** A spec shipped in Tideline's resources, by id. */
    public static FeatureSpec builtin(String name) {
        String resource = "specs/" + name + ".yaml";
        try (InputStream in = FeatureSpec.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new InvalidSpecException(
                        "no built-in feature spec '" + name + "' (built in: " + DEFAULT + ")");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        } catch (IOException e) {
            throw new InvalidSpecException("cannot read built-in feature spec " + name, e);
        }
    }

    /** Resolves a spec reference from configuration: {@code builtin:NAME}, or a file path. */
    public static FeatureSpec resolve(String reference) {
        if (reference.startsWith("builtin:")) {
            return builtin(reference.substring("builtin:".length()));
        }
        return load(Path.of(reference));
    }

    public String id() {
        return id;
    }

    public int version() {
        return version;
    }

    public int tilesPerWindow() {
        return tilesPerWindow;
    }

    /**
     * How far behind its partition's latest event time an event may be and still count; older
     * events are dead-lettered as late. Part of the spec because it sizes the state: each window
     * keeps enough extra tiles to place a late event exactly.
     */
    public Duration grace() {
        return grace;
    }

    public List<Window> windows() {
        return windows;
    }

    /** The base currency and rates amounts are converted with, or {@link Money#NONE}. */
    Money money() {
        return money;
    }

    public List<FeatureDef> features() {
        return features;
    }

    public List<String> featureNames() {
        return features.stream().map(FeatureDef::name).toList();
    }

    public int size() {
        return features.size();
    }

    /** Lower-case hex SHA-256 of the canonical form. */
    public String fingerprint() {
        return fingerprint;
    }

    public String canonicalForm() {
        return canonical;
    }

    /** The longest window; state older than this plus the grace period can never matter again. */
    public Duration maxWindow() {
        return windows.stream().map(Window::size).max(Duration::compareTo).orElseThrow();
    }

    /** The widest tile of any window. */
    public long maxTileWidthMs() {
        return windows.stream().mapToLong(Window::widthMs).max().orElseThrow();
    }

    /**
     * How long after a key's latest event its window tiles can still count: the longest window, the
     * grace and a tile. State kept longer only serves history features.
     */
    public Duration idleAfter() {
        return maxWindow().plus(grace()).plusMillis(maxTileWidthMs());
    }

    @Override
    public String toString() {
        return id + " v" + version + " (" + features.size() + " features, " + fingerprint + ")";
    }

    private String canonicalJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("id", id);
        root.put("version", version);
        root.put("tiles_per_window", tilesPerWindow);
        root.put("grace", grace.toString());
        if (money.converts()) {
            // Only when set: specs without a base currency keep their fingerprints.
            root.put("base_currency", money.base());
            ObjectNode rates = root.putObject("rates");
            money.rates().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(r -> rates.put(r.getKey(), r.getValue()));
        }
        ArrayNode ws = root.putArray("windows");
        windows.forEach(w -> ws.addObject().put("name", w.name()).put("size", w.size().toString()));
        ArrayNode fs = root.putArray("features");
        for (FeatureDef f : features) {
            ObjectNode node = fs.addObject();
            node.put("name", f.name());
            if (f instanceof EventFeature e) {
                node.put("kind", "event");
                node.put("field", e.field().specName());
            } else if (f instanceof WindowFeature w) {
                node.put("kind", "window");
                node.put("agg", lower(w.agg()));
                w.field().ifPresent(x -> node.put("field", x.specName()));
                w.filter().ifPresent(x -> node.set("where", x.canonical()));
                node.put("window", w.window().name());
                if (w.agg() == FeatureDef.Aggregation.DISTINCT) {
                    node.put("sketch_bits", w.sketchBits());
                }
            } else if (f instanceof EntityFeature e) {
                node.put("kind", "entity");
                node.put("fn", lower(e.fn()));
                e.field().ifPresent(x -> node.put("field", x.specName()));
            } else if (f instanceof ProfileFeature p) {
                node.put("kind", "profile");
                node.put("field", lower(p.field()));
            } else if (f instanceof MerchantFeature m) {
                node.put("kind", "merchant");
                node.put("key", "merchant_id");
                node.put("agg", lower(m.agg()));
                node.put("window", m.window().name());
            } else if (f instanceof DerivedFeature d) {
                node.put("kind", "derived");
                node.put("numerator", d.numerator());
                node.put("denominator", d.denominator());
            }
            node.put("default", f.defaultValue());
            Transform t = transform(f.name());
            if (t != Transform.NONE) {
                // Only when set: specs without transforms keep their fingerprints.
                node.put("transform", lower(t));
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /**
     * This spec with its merchant features left out (same id and version, another fingerprint):
     * what the stage costs without the merchant hop, for benchmarks.
     */
    public FeatureSpec withoutMerchantFeatures() {
        return new FeatureSpec(
                id,
                version,
                tilesPerWindow,
                grace,
                windows,
                features.stream().filter(f -> !(f instanceof MerchantFeature)).toList(),
                transforms,
                money);
    }

    /** Whether any feature is keyed by merchant: the stage then keeps merchant state too. */
    public boolean hasMerchantFeatures() {
        return features.stream().anyMatch(f -> f instanceof MerchantFeature);
    }

    /** What the named feature's value goes through before it is written to the vector. */
    public Transform transform(String name) {
        return transforms.getOrDefault(name, Transform.NONE);
    }

    /** Each position's transform, in vector order. */
    public Transform[] transforms() {
        return features.stream().map(f -> transform(f.name())).toArray(Transform[]::new);
    }

    /** Finds a feature's position in the vector. */
    public Optional<Integer> indexOf(String name) {
        for (int i = 0; i < features.size(); i++) {
            if (features.get(i).name().equals(name)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }
}
