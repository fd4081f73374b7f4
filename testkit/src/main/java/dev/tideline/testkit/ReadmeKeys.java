package dev.tideline.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings keys README.md names, so that a test can check each against the engines' config
 * definitions: every {@code tideline.<family>.…} key in its text (but JVM system properties,
 * written {@code -Dtideline.…}), and in its settings tables the keys a row abbreviates ({@code
 * `tideline.features.http.port` / `.host`}).
 */
public final class ReadmeKeys {

    private static final Pattern KEY =
            Pattern.compile(
                    "tideline\\.(?:topics|kafka|registry|features|serving|cdc|training|stack)"
                            + "\\.[a-z0-9<>*][a-z0-9.<>*-]*");
    private static final Pattern ROW = Pattern.compile("^\\| `(tideline\\.[^|]*)\\|");
    private static final Pattern SUFFIX = Pattern.compile("`\\.?([a-z0-9.-]+)`");

    private ReadmeKeys() {}

    /** The project's README, found from a module's directory or the root. */
    public static Path readme() {
        for (Path p : new Path[] {Path.of("README.md"), Path.of("..", "README.md")}) {
            if (Files.isRegularFile(p) && Files.isDirectory(p.resolveSibling("schemas"))) {
                return p;
            }
        }
        throw new IllegalStateException("README.md not found from " + Path.of("").toAbsolutePath());
    }

    /** Every key the README names; a key ending in {@code .*} or {@code .<key>} is a prefix. */
    public static Set<String> all() {
        String text;
        try {
            text = Files.readString(readme());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> keys = new TreeSet<>();
        Matcher m = KEY.matcher(text);
        while (m.find()) {
            if (m.start() >= 2 && text.startsWith("-D", m.start() - 2)) {
                continue; // a JVM system property (-Dtideline.x=…), not a setting
            }
            String key = m.group();
            while (key.endsWith(".") || key.endsWith("-")) {
                key = key.substring(0, key.length() - 1);
            }
            keys.add(key);
        }
        for (String line : text.split("\n")) {
            Matcher row = ROW.matcher(line);
            if (!row.find() || !row.group(1).contains("/")) {
                continue;
            }
            String[] parts = row.group(1).split("/");
            String first = parts[0].replace("`", "").trim();
            String base = first.substring(0, first.lastIndexOf('.') + 1);
            for (int i = 1; i < parts.length; i++) {
                Matcher s = SUFFIX.matcher(parts[i]);
                if (s.find()) {
                    keys.add(base + s.group(1));
                }
            }
        }
        return keys;
    }

    /** Whether {@code key} (or, for a prefix, every key under it) is known. */
    public static boolean accepted(String key, Set<String> known, Set<String> prefixes) {
        if (key.endsWith(".*") || key.endsWith(".<key>")) {
            String prefix = key.substring(0, key.lastIndexOf('.') + 1);
            return prefixes.contains(prefix) || known.stream().anyMatch(k -> k.startsWith(prefix));
        }
        return known.contains(key) || prefixes.stream().anyMatch(key::startsWith);
    }
}
