package dev.tideline.connectors;

import dev.tideline.schemas.config.AppConfig;
import dev.tideline.schemas.config.ClientSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** The embedded CDC runner's settings, loaded in layers; unknown keys refuse start-up by name. */
public final class CdcConfig extends AppConfig {

    public static final String JDBC_URL = "tideline.cdc.jdbc-url";
    public static final String USER = "tideline.cdc.user";
    public static final String PASSWORD = "tideline.cdc.password";
    public static final String SLOT = "tideline.cdc.slot";
    public static final String PUBLICATION = "tideline.cdc.publication";
    public static final String OFFSETS_FILE = "tideline.cdc.offsets-file";
    public static final String MIGRATE = "tideline.cdc.migrate";
    public static final String HTTP_HOST = "tideline.cdc.http.host";
    public static final String HTTP_PORT = "tideline.cdc.http.port";

    public static final ConfigDef DEFINITION =
            ClientSettings.definition()
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
                            "Apply the source database's migrations before starting (local mode).")
                    .define(
                            HTTP_HOST,
                            Type.STRING,
                            "0.0.0.0",
                            Importance.LOW,
                            "Address of /health and /metrics.")
                    .define(
                            HTTP_PORT,
                            Type.INT,
                            7071,
                            ConfigDef.Range.between(-1, 65535),
                            Importance.MEDIUM,
                            "Port of /health and /metrics; 0 picks a free port, -1 turns them"
                                    + " off.");

    public CdcConfig(Map<String, String> values) {
        super(DEFINITION, values);
    }

    public static CdcConfig load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return new CdcConfig(
                ClientSettings.load(DEFINITION, List.of(), file, environment, overrides));
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
                ClientSettings.kafkaClient(values()));
    }
}
