package dev.tideline.ops;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The command line every engine shares: {@code --config FILE} and {@code -D key=value} over {@code
 * TIDELINE_*} environment variables. Settings that do not load refuse start-up with exit code 2 and
 * the reason, naming the key.
 *
 * @param <C> the engine's settings
 */
public abstract class AppMain<C> implements Callable<Integer> {

    @Option(names = "--config", description = "Properties file of tideline.* settings.")
    protected Path config;

    @Option(names = "-D", description = "A setting, key=value; wins over file and environment.")
    protected Map<String, String> overrides = new LinkedHashMap<>();

    /** Where refusals are written; stderr unless a test replaces it. */
    public PrintWriter err = new PrintWriter(System.err, true);

    /** Loads and checks the settings; throws {@link ConfigException} or {@code badInput} types. */
    protected abstract C load(
            Optional<Path> file, Map<String, String> environment, Map<String, String> overrides);

    /** Runs the engine until it stops; the process exit code. */
    protected abstract int serve(C settings) throws Exception;

    /** Exceptions besides {@link ConfigException} that mean the settings are wrong. */
    protected boolean isBadSettings(RuntimeException e) {
        return e instanceof ConfigException;
    }

    /** The engine's name in refusals. */
    protected abstract String name();

    @Override
    public final Integer call() throws Exception {
        C settings;
        try {
            settings = load(Optional.ofNullable(config), System.getenv(), overrides);
        } catch (RuntimeException e) {
            if (!isBadSettings(e)) {
                throw e;
            }
            err.println(name() + ": refusing to start: " + e.getMessage());
            return 2;
        }
        return serve(settings);
    }
}
