package dev.tideline.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CdcConfigTest {

    private static final Map<String, String> REQUIRED =
            Map.of(
                    "tideline.kafka.bootstrap-servers",
                    "k:9092",
                    "tideline.registry.url",
                    "http://r:8080",
                    CdcConfig.JDBC_URL,
                    "jdbc:postgresql://db.internal:5433/core");

    @Test
    void mapsSettingsOntoDebeziumsProperties() {
        var settings =
                new CdcConfig(
                                new java.util.HashMap<>(
                                        Map.of(
                                                "tideline.kafka.bootstrap-servers",
                                                "k:9092",
                                                "tideline.registry.url",
                                                "http://r:8080",
                                                CdcConfig.JDBC_URL,
                                                "jdbc:postgresql://db.internal:5433/core",
                                                CdcConfig.PASSWORD,
                                                "s3cret",
                                                CdcConfig.OFFSETS_FILE,
                                                "/var/lib/tideline/cdc.offsets")))
                        .runnerSettings();
        var props = CdcRunner.debeziumProperties(settings);

        assertThat(props)
                .containsEntry("database.hostname", "db.internal")
                .containsEntry("database.port", "5433")
                .containsEntry("database.dbname", "core")
                .containsEntry("database.password", "s3cret")
                .containsEntry("plugin.name", "pgoutput")
                .containsEntry("publication.autocreate.mode", "disabled")
                .containsEntry(
                        "offset.storage.file.filename",
                        Path.of("/var/lib/tideline/cdc.offsets").toString());
    }

    @Test
    void refusesAnUnknownKeyByName() {
        assertThatThrownBy(
                        () ->
                                new CdcMain()
                                        .load(
                                                Optional.empty(),
                                                Map.of(),
                                                Map.of("tideline.cdc.slots", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tideline.cdc.slots")
                .hasMessageContaining("tideline.cdc.slot");
    }

    @Test
    void refusesToStartWithoutTheDatabaseNamingTheKey() {
        StringWriter err = new StringWriter();
        CdcMain main = new CdcMain();
        main.err = new PrintWriter(err, true);

        int code =
                new CommandLine(main)
                        .execute(
                                "-D",
                                "tideline.kafka.bootstrap-servers=k:9092",
                                "-D",
                                "tideline.registry.url=http://r");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains(CdcConfig.JDBC_URL);
        assertThat(new CdcConfig(REQUIRED).getString(CdcConfig.SLOT)).isEqualTo("tideline_cdc");
    }
}
