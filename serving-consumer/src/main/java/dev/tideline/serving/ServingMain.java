package dev.tideline.serving;

import dev.tideline.ops.AppMain;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar tideline-serving-consumer.jar}: one scoring replica until stopped. */
@Command(
        name = "tideline-serving",
        mixinStandardHelpOptions = true,
        description = "Scores feature vectors into predictions, exactly once.")
public final class ServingMain extends AppMain<ServingConfig> {

    public ServingMain() {
        super("tideline-serving", ServingConfig.DEFINITION, List.of(), ServingConfig::new);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServingMain()).execute(args));
    }

    /** Runs until SIGTERM, or until the replica stops on a fatal error (exit 1). */
    @Override
    protected int serve(ServingConfig settings) throws InterruptedException {
        return run(name(), ServingApp.start(settings));
    }
}
