package dev.tideline.training.publish;

import java.util.Map;

/**
 * A validated model release, before it becomes a {@code ModelRelease} on {@code models.v1}. A Flink
 * POJO.
 */
public final class Release {

    public String modelName;
    public long version;
    public long createdAtMs;
    public String specId;
    public int specVersion;
    public String specFingerprint;
    public int inputWidth;
    public byte[] onnx;
    public String sha256;
    public Map<String, Double> metrics;

    /** The previous release's version; -1 for the first. */
    public long parentVersion = -1;

    public long trainingWatermarkMs;
    public boolean promotable;

    public Release() {}
}
