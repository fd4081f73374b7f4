package dev.tideline.schemas.registry;

import java.util.List;

/**
 * The registry's answer to a compatibility check.
 *
 * @param compatible whether the schema may be registered under the subject
 * @param messages the registry's reasons, when it gave any
 */
public record CompatibilityResult(boolean compatible, List<String> messages) {}
