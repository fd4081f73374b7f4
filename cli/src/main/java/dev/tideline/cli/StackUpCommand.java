package dev.tideline.cli;

import dev.tideline.localstack.LocalStack;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tideline stack up}: starts the local stack, creates the catalog's topics, prints one
 * {@code READY ...} line and runs until interrupted or terminated.
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Start the local stack, create the pipeline's topics, print",
            "'READY bootstrap=<host:port> registry=<url> jdbc=<url>' and run until Ctrl-C or"
                    + " SIGTERM."
        })
final class StackUpCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(StackUpCommand.class);

    @Mixin CommonOptions options;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(options, spec.commandLine().getOut());
    }

    static int run(CommonOptions options, PrintWriter out) throws Exception {
        Path stateFile = StackState.defaultFile();
        StackState.refuseIfRunning(stateFile);
        Settings settings = Settings.load(options);
        Map<String, String> values = settings.values();
        LocalStack stack = LocalStack.builder().configure(values).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        Files.deleteIfExists(stateFile);
                                    } catch (Exception e) {
                                        log.warn(
                                                "could not delete {}: {}", stateFile, e.toString());
                                    }
                                    stack.close();
                                    stopped.countDown();
                                },
                                "tideline-stack-up-shutdown"));
        log.info("started {}", stack.describeStartup());

        SchemaRegistryClient registry =
                new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
        TopicCatalog catalog = TopicCatalog.create(settings.catalogConfig(), registry);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            TopicBootstrap.ensure(admin, catalog, Optional.of(registry), Duration.ofSeconds(60));
        }

        String jdbc = stack.hasPostgres() ? stack.jdbc().url() : "none";
        new StackState(
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        jdbc,
                        catalog.config().prefix(),
                        ProcessHandle.current().pid())
                .write(stateFile);
        out.printf(
                "READY bootstrap=%s registry=%s jdbc=%s%n",
                stack.bootstrapServers(), stack.registryUrl(), jdbc);
        out.flush();
        stopped.await();
        return 0;
    }
}
