package dev.tideline.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The command-line tools the deployment checks run (docker-compose, kubectl, terraform). CI
 * installs them and sets {@code REQUIRE_DEPLOY_TOOLS}: there a missing tool fails the check;
 * elsewhere the check is skipped and says why.
 */
final class DeployTools {

    private DeployTools() {}

    /** Fails (in CI) or skips the calling test when {@code command} is not on the PATH. */
    static void require(String command, String why) {
        boolean present = onPath(command);
        if (System.getenv("REQUIRE_DEPLOY_TOOLS") != null) {
            assertThat(present).as(command + " on the PATH (" + why + ")").isTrue();
        }
        assumeTrue(present, command + " is not installed (" + why + ")");
    }

    private static boolean onPath(String command) {
        return Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
