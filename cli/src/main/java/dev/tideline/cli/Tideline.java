package dev.tideline.cli;

import dev.tideline.features.InvalidSpecException;
import dev.tideline.localstack.LocalStackException;
import dev.tideline.schemas.registry.SchemaRegistryException;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tideline} command: run the local stack, produce to and tail the pipeline's topics. */
@Command(
        name = "tideline",
        mixinStandardHelpOptions = true,
        version = "tideline 0.1.0-SNAPSHOT",
        description = "Event-driven feature, training and scoring pipeline on Kafka and Flink.",
        subcommands = {
            DemoCommand.class,
            StackCommand.class,
            FeaturesCommand.class,
            CdcCommand.class,
            ServeCommand.class,
            TrainCommand.class,
            DeployCommand.class,
            GenerateCommand.class,
            BenchCommand.class,
            ProduceCommand.class,
            TailCommand.class,
            ModelsCommand.class,
            ChaosCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Tideline implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Tideline's logging config, which must win over the one Kafka's test kit jar carries. */
    static final String LOG_CONFIG = "classpath:tideline-log4j2.xml";

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line with Tideline's error handling; used by main and by tests. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Tideline());
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    // Known failures get one clear line; the stack trace is for the unexpected.
                    if (e instanceof ConfigException
                            || e instanceof IllegalArgumentException
                            || e instanceof IllegalStateException
                            || e instanceof LocalStackException
                            || e instanceof InvalidSpecException
                            || e instanceof SchemaRegistryException) {
                        commandLine.getErr().println("tideline: " + e.getMessage());
                    } else {
                        commandLine.getErr().println("tideline: unexpected failure: " + e);
                        // Looked up here, not in a static field, so main selects the config first.
                        LoggerFactory.getLogger(Tideline.class).error("unexpected failure", e);
                    }
                    return 1;
                });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
