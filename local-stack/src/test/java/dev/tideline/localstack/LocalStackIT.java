package dev.tideline.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class LocalStackIT {

    @Test
    void startsEveryPartOnLoopbackAndLeavesNothingBehind() throws Exception {
        Set<Long> childrenBefore = childPids();
        LocalStack stack = LocalStack.builder().start();
        Path workDir = stack.workDir();
        long registryPid;
        long postmasterPid;
        try {
            assertThat(stack.startupTimes()).containsOnlyKeys("kafka", "registry", "postgres");
            assertThat(stack.bootstrapServers()).matches("(localhost|127\\.0\\.0\\.1):\\d+");
            assertThat(stack.registryUrl()).matches("http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v7");
            assertThat(stack.jdbc().url())
                    .matches("jdbc:postgresql://127\\.0\\.0\\.1:\\d+/postgres");

            try (Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    stack.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("probe", 3, (short) 1))).all().get();
                assertThat(admin.listTopics().names().get()).contains("probe");
            }

            HttpResponse<String> subjects =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(stack.registryUrl() + "/subjects"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertThat(subjects.statusCode()).isEqualTo(200);
            assertThat(subjects.body()).isEqualTo("[]");

            try (Connection c =
                            DriverManager.getConnection(
                                    stack.jdbc().url(),
                                    stack.jdbc().user(),
                                    stack.jdbc().password());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SHOW wal_level")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("logical");
            }
            postmasterPid =
                    Long.parseLong(
                            Files.readAllLines(workDir.resolve("postgres/postmaster.pid"))
                                    .get(0)
                                    .trim());
            Set<Long> children = childPids();
            children.removeAll(childrenBefore);
            // the registry JVM and the reaper are our children; the postmaster is detached
            registryPid =
                    children.stream()
                            .filter(
                                    pid ->
                                            ProcessHandle.of(pid)
                                                    .flatMap(p -> p.info().commandLine())
                                                    .orElse("")
                                                    .contains("apicurio-registry-app"))
                            .findFirst()
                            .orElseThrow();
        } finally {
            stack.close();
        }

        assertThat(ProcessHandle.of(registryPid).map(ProcessHandle::isAlive))
                .isNotEqualTo(java.util.Optional.of(true));
        assertThat(ProcessHandle.of(postmasterPid).map(ProcessHandle::isAlive))
                .isNotEqualTo(java.util.Optional.of(true));
        Set<Long> childrenAfter = childPids();
        childrenAfter.removeAll(childrenBefore);
        assertThat(childrenAfter).as("child processes left running").isEmpty();
        assertThat(workDir).doesNotExist();
    }

    @Test
    void usesExternalPartsInsteadOfStartingThem() {
        try (LocalStack kafkaOnly =
                        LocalStack.builder().withoutRegistry().withoutPostgres().start();
                LocalStack external =
                        LocalStack.builder()
                                .externalKafka(kafkaOnly.bootstrapServers())
                                .externalRegistry("http://registry.example:8081/")
                                .externalPostgres("jdbc:postgresql://db.example/app", "app", "pw")
                                .start()) {
            assertThat(external.startupTimes()).isEmpty();
            assertThat(external.kafkaCluster()).isEmpty();
            assertThat(external.bootstrapServers()).isEqualTo(kafkaOnly.bootstrapServers());
            assertThat(external.registryUrl()).isEqualTo("http://registry.example:8081");
            assertThat(external.jdbc())
                    .isEqualTo(
                            new LocalStack.JdbcEndpoint(
                                    "jdbc:postgresql://db.example/app", "app", "pw"));
        }
    }

    private static Set<Long> childPids() {
        return ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }
}
