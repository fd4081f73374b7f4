package dev.tideline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand answers {@code --help} and {@code -h} with its usage. */
class CommandTreeTest {

    @Test
    void everyCommandAnswersHelp() {
        List<List<String>> paths = new ArrayList<>();
        walk(Tideline.commandLine(), new ArrayList<>(), paths);
        assertThat(paths)
                .extracting(p -> String.join(" ", p))
                .contains(
                        "",
                        "demo",
                        "generate",
                        "stack up",
                        "serve",
                        "produce",
                        "tail",
                        "bench",
                        "bench serving",
                        "bench features",
                        "bench training",
                        "bench replay",
                        "chaos",
                        "deploy",
                        "models list",
                        "models revoke",
                        "models promote");
        for (List<String> path : paths) {
            if (path.size() == 2 && path.get(0).equals("bench")) {
                continue; // forwarded to the benchmark's own JVM: see TidelineCliIT
            }
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                CommandLine cli = Tideline.commandLine();
                cli.setOut(new PrintWriter(out));
                cli.setErr(new PrintWriter(err));
                int exit = cli.execute(args.toArray(String[]::new));
                assertThat(exit).as("tideline %s exit", args).isZero();
                assertThat(out.toString())
                        .as("tideline %s (stderr: %s)", args, err)
                        .contains("Usage: tideline");
                assertThat(err.toString()).as("tideline %s stderr", args).isEmpty();
            }
        }
    }

    @Test
    void chaosRefusesAnUnknownFaultKindNamingTheKinds() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Tideline.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("chaos", "--faults", "broker-kill,disk-full");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString())
                .contains("--faults")
                .contains("disk-full")
                .contains("postgres-restart");
    }

    private static void walk(CommandLine cli, List<String> path, List<List<String>> out) {
        out.add(path);
        cli.getSubcommands()
                .forEach(
                        (name, sub) -> {
                            if (name.equals("help")) {
                                return;
                            }
                            List<String> next = new ArrayList<>(path);
                            next.add(name);
                            walk(sub, next, out);
                        });
    }
}
