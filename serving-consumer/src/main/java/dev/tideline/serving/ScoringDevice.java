package dev.tideline.serving;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

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

    /**
     * Why CUDA cannot be used here, or empty when it may be: this build must carry ONNX Runtime's
     * CUDA jar ({@code -Pgpu}) and the machine must have an NVIDIA driver loaded. Loading a session
     * is still the final word (the CUDA 12 libraries must load too).
     */
    public static Optional<String> cudaUnavailable() {
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            return Optional.of(
                    "this build carries ONNX Runtime's CPU jar (build with -Pgpu for CUDA)");
        }
        if (!Files.exists(Path.of("/proc/driver/nvidia/version"))) {
            return Optional.of("no NVIDIA driver on this machine (/proc/driver/nvidia/version)");
        }
        return Optional.empty();
    }
}
