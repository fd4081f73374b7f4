package dev.tideline.schemas;

import dev.tideline.schemas.avro.ModelRelease;

/**
 * The record keys of the compacted {@code models.v1}, which decide what the log cleaner keeps.
 *
 * <p>A promotable release is keyed by its model name; a release that failed the promotion gate by
 * the model name and {@value #CANDIDATE_SUFFIX}. After compaction the topic holds, per model, the
 * newest promotable release and the newest refused candidate: two records whatever the history, and
 * a refused candidate can never erase the release a replica started from scratch must serve.
 */
public final class ModelReleaseKey {

    /** Appended to the model name in the key of a release that is not for promotion. */
    public static final String CANDIDATE_SUFFIX = "/candidate";

    private ModelReleaseKey() {}

    /** The key {@code release} is written under. */
    public static String of(ModelRelease release) {
        return of(release.getModelName(), release.getPromotable());
    }

    /** The key of a release of {@code model}, promotable or not. */
    public static String of(String model, boolean promotable) {
        return promotable ? model : model + CANDIDATE_SUFFIX;
    }
}
