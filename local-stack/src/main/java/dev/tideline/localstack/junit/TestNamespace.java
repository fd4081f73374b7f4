package dev.tideline.localstack.junit;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** A name prefix unique to one test, so tests sharing a stack never share topics or groups. */
public final class TestNamespace {

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final String prefix;

    private TestNamespace(String prefix) {
        this.prefix = prefix;
    }

    static TestNamespace next(String testName) {
        String clean = testName.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        if (clean.length() > 24) {
            clean = clean.substring(0, 24);
        }
        return new TestNamespace("t" + SEQUENCE.incrementAndGet() + "-" + clean + ".");
    }

    /** The prefix, ending in a dot, for example {@code t7-roundtrip.}. */
    public String prefix() {
        return prefix;
    }

    /** A topic, group or transactional id inside this namespace. */
    public String name(String base) {
        return prefix + base;
    }

    @Override
    public String toString() {
        return prefix;
    }
}
