package dev.tideline.ops;

import dev.tideline.ops.config.AppConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The command line every engine shares: {@code --config FILE} and {@code -D key=value} over {@code
 * TIDELINE_*} environment variables. Settings that do not load refuse start-up with exit code 2 and
 * the reason, naming the key; then the engine runs until it stops or SIGTERM closes it.
 *
 * @param <C> the engine's settings
 */
public abstract class AppMain<C extends AppConfig> implements Callable<Integer> {

    @Option(names = "--config", description = "Properties file of tideline.* settings.")
    protected Path config;

    @Option(names = "-D", description = "A setting, key=value; wins over file and environment.")
    protected Map<String, String> overrides = new LinkedHashMap<>();

    /** Where refusals are written; stderr unless a test replaces it. */
    public PrintWriter err = new PrintWriter(System.err, true);

    private final String name;
    private final ConfigDef definition;
    private final List<String> passthroughPrefixes;
    private final Function<Map<String, String>, C> settings;

    /**
     * @param name the engine's name in refusals and thread names
     * @param definition its settings' definition
     * @param passthroughPrefixes prefixes of raw settings it passes on (besides Kafka clients')
     * @param settings its settings from loaded values
     */
    protected AppMain(
            String name,
            ConfigDef definition,
            List<String> passthroughPrefixes,
            Function<Map<String, String>, C> settings) {
        this.name = name;
        this.definition = definition;
        this.passthroughPrefixes = List.copyOf(passthroughPrefixes);
        this.settings = settings;
    }

    /**
     * Loads and checks the settings; throws {@link ConfigException}, or another exception {@link
     * #isBadSettings} knows.
     */
    public C load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        return settings.apply(
                AppConfig.load(definition, passthroughPrefixes, file, environment, overrides));
    }

    /** Runs the engine until it stops; the process exit code. */
    protected abstract int serve(C settings) throws Exception;

    /** Exceptions besides {@link ConfigException} that mean the settings are wrong. */
    protected boolean isBadSettings(RuntimeException e) {
        return e instanceof ConfigException;
    }

    /** The engine's name in refusals. */
    protected final String name() {
        return name;
    }

    @Override
    public final Integer call() throws Exception {
        ParentWatch.start();
        C loaded;
        try {
            loaded = load(Optional.ofNullable(config), System.getenv(), overrides);
        } catch (RuntimeException e) {
            if (!isBadSettings(e)) {
                throw e;
            }
            err.println(name + ": refusing to start: " + e.getMessage());
            return 2;
        }
        return serve(loaded);
    }

    /**
     * Runs a started engine until it stops by itself, closing it on SIGTERM; its exit code. {@code
     * java -jar}, the CLI and the demo all run engines this way.
     */
    public static int run(String name, Engine engine) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(engine::close, name + "-shutdown"));
        return engine.awaitExit();
    }
}
