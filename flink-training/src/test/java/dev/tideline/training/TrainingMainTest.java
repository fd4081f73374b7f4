package dev.tideline.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tideline.training.model.Optimizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainingMainTest {

    @Test
    void refusesToStartWithAnUnknownSettingNamingIt() {
        StringWriter err = new StringWriter();
        int code =
                run(
                        err,
                        "-D",
                        "tideline.training.spec-fingerprint=f",
                        "-D",
                        "tideline.training.kindd=mlp");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .contains("tideline.training.kindd")
                .contains("did you mean 'tideline.training.kind'");
    }

    @Test
    void refusesBadValuesAndMissingRequiredSettingsByName() {
        StringWriter err = new StringWriter();
        assertThat(
                        run(
                                err,
                                "-D",
                                "tideline.training.spec-fingerprint=f",
                                "-D",
                                "tideline.training.kind=forest"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("tideline.training.kind");

        StringWriter missing = new StringWriter();
        assertThat(run(missing)).isEqualTo(2);
        assertThat(missing.toString()).contains("tideline.training.spec-fingerprint");

        StringWriter timeout = new StringWriter();
        assertThat(
                        run(
                                timeout,
                                "-D",
                                "tideline.training.spec-fingerprint=f",
                                "-D",
                                "tideline.training.transaction-timeout-ms=3600000"))
                .as("longer than brokers allow by default")
                .isEqualTo(2);
        assertThat(timeout.toString()).contains("tideline.training.transaction-timeout-ms");
    }

    @Test
    void theLearningRateDefaultsToTheOptimisersOwnAndIsCheckedByName() {
        Map<String, String> values = new HashMap<>(BASE);
        values.put("tideline.training.spec-fingerprint", "f");
        TrainingConfig defaults = new TrainingConfig(values);
        assertThat(defaults.optimizer()).isEqualTo(Optimizer.Kind.ADAM);
        assertThat(defaults.training().learningRate()).isEqualTo(0.01f);
        assertThat(defaults.training().positiveWeight()).isEqualTo(1f);

        values.put("tideline.training.optimizer", "adagrad");
        assertThat(new TrainingConfig(values).training().learningRate()).isEqualTo(0.1f);
        values.put("tideline.training.learning-rate", "0.003");
        assertThat(new TrainingConfig(values).training().learningRate()).isEqualTo(0.003f);

        StringWriter err = new StringWriter();
        assertThat(
                        run(
                                err,
                                "-D",
                                "tideline.training.spec-fingerprint=f",
                                "-D",
                                "tideline.training.learning-rate=11"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("tideline.training.learning-rate");
    }

    private static final Map<String, String> BASE =
            Map.of(
                    "tideline.kafka.bootstrap-servers", "127.0.0.1:1",
                    "tideline.registry.url", "http://127.0.0.1:1",
                    "tideline.training.input-width", "8");

    private static int run(StringWriter err, String... extra) {
        List<String> args = new ArrayList<>();
        BASE.forEach(
                (k, v) -> {
                    args.add("-D");
                    args.add(k + "=" + v);
                });
        args.addAll(List.of(extra));
        TrainingMain main = new TrainingMain();
        main.err = new PrintWriter(err, true);
        return new CommandLine(main).execute(args.toArray(String[]::new));
    }
}
