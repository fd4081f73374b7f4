package dev.tideline.connectors;

/**
 * A source table no longer has a column the contract requires (renamed or dropped). The runner
 * stops: every later row would be unmappable, and the fix is a migration or a contract change.
 */
public final class SchemaDriftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SchemaDriftException(String table, String column) {
        super(
                "table "
                        + table
                        + " has no column '"
                        + column
                        + "', which the contract requires; it was renamed or dropped. Restore it or"
                        + " evolve the contract, then restart the runner.");
    }
}
