package dev.tideline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import dev.tideline.localstack.junit.TestNamespace;
import dev.tideline.localstack.junit.WithLocalStack;
import dev.tideline.schemas.registry.CompatibilityLevel;
import dev.tideline.schemas.registry.CompatibilityResult;
import dev.tideline.schemas.registry.IncompatibleSchemaException;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** Schema evolution checked by the registry itself, under a BACKWARD rule. */
@WithLocalStack
class SchemaEvolutionIT {

    private static SchemaRegistryClient registry(LocalStack stack) {
        return new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
    }

    /** A subject holding the last released version of a contract, under BACKWARD. */
    private static String releasedSubject(
            SchemaRegistryClient registry, TestNamespace ns, String file) {
        String subject = ns.name(file.replace(".avsc", "") + "-value");
        Schema released = SchemaHistory.parse(SchemaHistory.latestRelease(file).orElseThrow());
        registry.register(subject, released);
        registry.setCompatibility(subject, CompatibilityLevel.BACKWARD);
        return subject;
    }

    @Test
    void registryAcceptsEveryCurrentContractAfterItsLastRelease(
            LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient registry = registry(stack);
        for (Path file : SchemaHistory.currentFiles()) {
            String name = file.getFileName().toString();
            String subject = releasedSubject(registry, ns, name);
            CompatibilityResult result =
                    registry.testCompatibility(subject, SchemaHistory.parse(file));
            assertThat(result.compatible()).as(name + ": " + result.messages()).isTrue();
        }
    }

    @Test
    void registryRefusesARequiredFieldWithoutDefault(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient registry = registry(stack);
        String subject = releasedSubject(registry, ns, "Transaction.avsc");
        Schema broken = SchemaHistory.resource("/compat/Transaction-required-field.avsc");
        assertThat(registry.testCompatibility(subject, broken).compatible()).isFalse();
        assertThatThrownBy(() -> registry.register(subject, broken))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining(subject);
    }

    @Test
    void registryAcceptsAnOptionalFieldWithDefault(LocalStack stack, TestNamespace ns) {
        SchemaRegistryClient registry = registry(stack);
        String subject = releasedSubject(registry, ns, "Transaction.avsc");
        Schema evolved = SchemaHistory.resource("/compat/Transaction-optional-field.avsc");
        assertThat(registry.testCompatibility(subject, evolved).compatible()).isTrue();
        assertThat(registry.register(subject, evolved)).isPositive();
        assertThat(registry.latest(subject).version()).isEqualTo(2);
    }
}
