package dev.tideline.training.publish;

import java.io.Serializable;

/** The feature spec the job trains on; every release names it, and serving checks it. */
public record SpecIdentity(String id, int version, String fingerprint) implements Serializable {}
