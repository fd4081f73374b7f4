package dev.tideline.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tideline.localstack.LocalStack;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's writes survive a restart of the real PostgreSQL server between them. */
@Tag("integration")
class DatabaseIT {

    @Test
    void aWriteAfterTheServerRestartedGoesThroughOnANewConnection(@TempDir Path dir)
            throws Exception {
        try (LocalStack stack =
                        LocalStack.builder()
                                .workDir(dir)
                                .externalKafka("127.0.0.1:1")
                                .withoutRegistry()
                                .start();
                Database db =
                        new Database(
                                stack.jdbc().url(), stack.jdbc().user(), stack.jdbc().password())) {
            db.write(c -> execute(c.createStatement(), "CREATE TABLE t (id INT PRIMARY KEY)"));
            db.write(c -> execute(c.createStatement(), "INSERT INTO t VALUES (1)"));

            stack.restartPostgres(); // the connection db holds is cut

            db.write(c -> execute(c.createStatement(), "INSERT INTO t VALUES (2)"));
            int[] rows = new int[1];
            db.write(
                    c -> {
                        try (Statement st = c.createStatement();
                                ResultSet r = st.executeQuery("SELECT count(*) FROM t")) {
                            r.next();
                            rows[0] = r.getInt(1);
                        }
                    });
            assertThat(rows[0]).as("both rows, the first from before the restart").isEqualTo(2);

            // A failing statement is not a lost connection: no retry, the error as it came.
            assertThatThrownBy(
                            () ->
                                    db.write(
                                            c ->
                                                    execute(
                                                            c.createStatement(),
                                                            "INSERT INTO t VALUES (1)")))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("duplicate key");
        }
    }

    private static void execute(Statement st, String sql) throws SQLException {
        try (st) {
            st.execute(sql);
        }
    }
}
