package dev.tideline.serving;

import java.util.Locale;

/** Where ONNX Runtime runs a model: {@code auto} tries CUDA and falls back to the CPU. */
public enum ScoringDevice {
    AUTO,
    CPU,
    CUDA;

    public static ScoringDevice parse(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
