package dev.tideline.training.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tideline deploy} puts no secret in a Flink program argument, which its web UI shows. */
class DeployMainTest {

    @Test
    void refusesASecretGivenInClearNamingItsKeyBeforeContactingFlink(@TempDir Path dir)
            throws Exception {
        Path jar = Files.writeString(dir.resolve("job.jar"), "not used");
        for (String key :
                new String[] {
                    "tideline.kafka.client.sasl.jaas.config",
                    "tideline.training.kafka.client.ssl.keystore.password",
                    "tideline.registry.basic-auth.user-info"
                }) {
            StringBuilder err = new StringBuilder();
            int code = deploy(err, jar, key + "=user:s3cret");
            assertThat(code).as(key).isEqualTo(2);
            assertThat(err).contains(key).contains("config-provider reference");
            assertThat(err.toString()).doesNotContain("s3cret");
        }

        // A reference passes the check (and the deploy then fails only on the unreachable
        // JobManager); so does a setting that is no secret.
        StringBuilder err = new StringBuilder();
        int code =
                deploy(
                        err,
                        jar,
                        "tideline.kafka.client.sasl.jaas.config=${file:/run/secrets/k.properties:jaas}",
                        "tideline.kafka.client.security.protocol=SASL_SSL");
        assertThat(code).isNotEqualTo(0).isNotEqualTo(2);
        assertThat(err).doesNotContain("holds a secret");
    }

    private static int deploy(StringBuilder err, Path jar, String... settings) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream before = System.err;
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            String[] args = new String[6 + 2 * settings.length];
            args[0] = "--jobmanager";
            args[1] = "http://127.0.0.1:1";
            args[2] = "--jar";
            args[3] = jar.toString();
            args[4] = "--timeout";
            args[5] = "1";
            for (int i = 0; i < settings.length; i++) {
                args[6 + 2 * i] = "-D";
                args[7 + 2 * i] = settings[i];
            }
            return new CommandLine(new DeployMain()).execute(args);
        } finally {
            System.setErr(before);
            err.append(bytes.toString(StandardCharsets.UTF_8));
        }
    }
}
