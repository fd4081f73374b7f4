package dev.tideline.connectors;

import dev.tideline.ops.config.AppConfig;
import dev.tideline.ops.config.ClientSettings;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** The embedded CDC runner's settings, loaded in layers; unknown keys refuse start-up by name. */
public final class CdcConfig extends AppConfig {

    static final String PREFIX = "tideline.cdc.";
    public static final String JDBC_URL = PREFIX + "jdbc-url";
    public static final String USER = PREFIX + "user";
    public static final String PASSWORD = PREFIX + "password";
    public static final String SLOT = PREFIX + "slot";
    public static final String PUBLICATION = PREFIX + "publication";
    public static final String OFFSETS_FILE = PREFIX + "offsets-file";
    public static final String MIGRATE = PREFIX + "migrate";
    public static final String HTTP_HOST = PREFIX + "http.host";
    public static final String HTTP_PORT = PREFIX + "http.port";

    public static final ConfigDef DEFINITION =
            AppConfig.definition(PREFIX, 7071, "/health and /metrics")
                    .define(
                            JDBC_URL,
                            Type.STRING,
                            ConfigDef.NO_DEFAULT_VALUE,
                            new ConfigDef.NonEmptyString(),
                            Importance.HIGH,
                            "The source database, jdbc:postgresql://host:port/db; wal_level must be"
                                    + " logical.")
                    .define(
                            USER,
                            Type.STRING,
                            "postgres",
                            Importance.HIGH,
                            "Database user with the REPLICATION attribute.")
                    .define(PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Its password.")
                    .define(
                            SLOT,
                            Type.STRING,
                            "tideline_cdc",
                            Importance.MEDIUM,
                            "Replication slot; one per runner.")
                    .define(
                            PUBLICATION,
                            Type.STRING,
                            "tideline_cdc",
                            Importance.MEDIUM,
                            "Publication of accounts and chargebacks (created by the migrations).")
                    .define(
                            OFFSETS_FILE,
                            Type.STRING,
                            Path.of(
                                            System.getProperty("java.io.tmpdir"),
                                            "tideline-cdc",
                                            "offsets.dat")
                                    .toString(),
                            Importance.HIGH,
                            "Where source offsets are kept; keep it on a persistent volume, or a"
                                    + " restart takes a new snapshot.")
                    .define(
                            MIGRATE,
                            Type.BOOLEAN,
                            false,
                            Importance.LOW,
                            "Apply the source database's migrations before starting (local mode).");

    public CdcConfig(Map<String, String> values) {
        super(DEFINITION, PREFIX, values);
    }

    CdcRunner.Settings runnerSettings() {
        return new CdcRunner.Settings(
                getString(JDBC_URL),
                getString(USER),
                getPassword(PASSWORD).value(),
                getString(SLOT),
                getString(PUBLICATION),
                Path.of(getString(OFFSETS_FILE)),
                bootstrap(),
                ClientSettings.kafkaClient(values(), PREFIX));
    }
}
