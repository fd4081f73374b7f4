package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FeatureMainTest {

    @Test
    void refusesToStartWithAnInvalidSpecNamingTheEntry(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(
                spec,
                """
                id: bad
                version: 1
                windows: [{name: 1m, size: PT1M}]
                features:
                  - {name: n, kind: window, agg: count, window: 5m}
                """);

        StringWriter err = new StringWriter();
        int code = run(err, "-D", "tideline.features.spec=" + spec);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("features[0] 'n': unknown window '5m'");
    }

    @Test
    void refusesToStartWithAnUnknownSettingNamingIt() {
        StringWriter err = new StringWriter();
        int code = run(err, "-D", "tideline.features.grace=PT1M");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("tideline.features.grace");
    }

    private static int run(StringWriter err, String... extra) {
        String[] base = {
            "-D",
            "tideline.kafka.bootstrap-servers=127.0.0.1:1",
            "-D",
            "tideline.registry.url=http://127.0.0.1:1"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        FeatureMain main = new FeatureMain();
        main.err = new PrintWriter(err, true);
        return new CommandLine(main).execute(args);
    }
}
