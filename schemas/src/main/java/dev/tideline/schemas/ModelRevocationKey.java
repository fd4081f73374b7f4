package dev.tideline.schemas;

/**
 * The record key of a revocation on the compacted {@code models.revocations.v1}: {@code
 * <model>/<version>}, so compaction keeps one record per revoked release, and a second revocation
 * of the same release (by another replica, or by hand) replaces the first.
 */
public final class ModelRevocationKey {

    private ModelRevocationKey() {}

    public static String of(String model, long version) {
        return model + "/" + version;
    }
}
