package dev.tideline.connectors;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the source database's versioned migrations ({@code db/migration/V*.sql}). */
public final class SourceDatabase {

    private static final Logger log = LoggerFactory.getLogger(SourceDatabase.class);

    private SourceDatabase() {}

    /** Brings the database up to the latest migration; applied ones are skipped. */
    public static MigrateResult migrate(String jdbcUrl, String user, String password) {
        MigrateResult result =
                Flyway.configure()
                        .dataSource(jdbcUrl, user, password)
                        .locations("classpath:db/migration")
                        .load()
                        .migrate();
        log.info(
                "Source database {} at version {} ({} migrations applied)",
                jdbcUrl,
                version(result),
                result.migrationsExecuted);
        return result;
    }

    /**
     * The version the database is at after {@code result}: Flyway leaves the target version null
     * when there was nothing to apply.
     */
    public static String version(MigrateResult result) {
        return result.targetSchemaVersion != null
                ? result.targetSchemaVersion
                : result.initialSchemaVersion;
    }
}
