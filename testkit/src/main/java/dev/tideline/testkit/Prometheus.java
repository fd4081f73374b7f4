package dev.tideline.testkit;

import java.util.Map;
import java.util.TreeMap;

/** Reads the Prometheus text an engine's {@code /metrics} serves. */
public final class Prometheus {

    private Prometheus() {}

    /** Series as metric name → label set (as written, {@code ""} for none) → value. */
    public static Map<String, Map<String, Double>> parse(String text) {
        Map<String, Map<String, Double>> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            int brace = series.indexOf('{');
            String name = brace < 0 ? series : series.substring(0, brace);
            String labels = brace < 0 ? "" : series.substring(brace);
            out.computeIfAbsent(name, n -> new TreeMap<>())
                    .put(labels, Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    /** The sum of every series of {@code name}; 0 when there is none. */
    public static double sum(String text, String name) {
        return parse(text).getOrDefault(name, Map.of()).values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
    }
}
