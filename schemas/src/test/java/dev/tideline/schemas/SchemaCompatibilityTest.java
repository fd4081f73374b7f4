package dev.tideline.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaCompatibilityTest {

    static List<Path> contracts() {
        return SchemaHistory.currentFiles();
    }

    @Test
    void everyContractHasAReleasedVersion() {
        assertThat(contracts()).hasSize(8);
        for (Path file : contracts()) {
            assertThat(SchemaHistory.latestRelease(file.getFileName().toString()))
                    .as("released version of %s under history/", file.getFileName())
                    .isPresent();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("contracts")
    void currentContractReadsDataOfItsLastRelease(Path file) {
        Schema current = SchemaHistory.parse(file);
        Schema released =
                SchemaHistory.parse(
                        SchemaHistory.latestRelease(file.getFileName().toString()).orElseThrow());
        // BACKWARD: a reader on the new schema can read what the previous release wrote.
        var result = SchemaCompatibility.checkReaderWriterCompatibility(current, released);
        assertThat(result.getType())
                .as(result.getDescription())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void addingARequiredFieldWithoutDefaultIsIncompatible() {
        Schema released =
                SchemaHistory.parse(SchemaHistory.latestRelease("Transaction.avsc").orElseThrow());
        Schema broken = SchemaHistory.resource("/compat/Transaction-required-field.avsc");
        var result = SchemaCompatibility.checkReaderWriterCompatibility(broken, released);
        assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
        assertThat(result.getResult().getIncompatibilities())
                .anySatisfy(i -> assertThat(i.getMessage()).contains("device_id"));
    }

    @Test
    void addingAnOptionalFieldWithDefaultIsCompatible() {
        Schema released =
                SchemaHistory.parse(SchemaHistory.latestRelease("Transaction.avsc").orElseThrow());
        Schema evolved = SchemaHistory.resource("/compat/Transaction-optional-field.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(evolved, released).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
}
