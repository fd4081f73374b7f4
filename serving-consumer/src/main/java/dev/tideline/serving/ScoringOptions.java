package dev.tideline.serving;

/**
 * How sessions are built.
 *
 * @param device the device asked for; the one chosen is reported by {@link OnnxScorer#device()}
 * @param intraOpThreads ONNX Runtime's intra-op threads; 0 lets it choose
 * @param spinning whether its threads spin while waiting (off frees the CPU for Kafka I/O)
 */
public record ScoringOptions(ScoringDevice device, int intraOpThreads, boolean spinning) {

    public static ScoringOptions defaults() {
        return new ScoringOptions(ScoringDevice.AUTO, 0, false);
    }
}
