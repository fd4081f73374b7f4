package dev.tideline.training;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster as a deployment runs it: a JobManager and a TaskManager, each
 * in its own JVM, on Flink's jars alone (the Flink runtime jars of this module's {@code target/lib}
 * and their dependencies: no Kafka, Avro or Tideline class), and {@code flink run} ({@code
 * CliFrontend}, what {@code bin/flink} starts) to submit a job jar. Flink's binary distribution is
 * not on Maven Central; these are the jars it is assembled from.
 */
final class StandaloneFlinkCluster implements AutoCloseable {

    /** Flink's runtime and the libraries its distribution ships with. */
    private static final Pattern DISTRIBUTION =
            Pattern.compile(
                    "(flink-(?!connector-kafka).*|kryo|minlog|objenesis|commons-.*|snappy-java"
                            + "|lz4-java|zstd-jni|frocksdbjni|log4j-.*|slf4j-api|jsr305"
                            + "|snakeyaml-engine|xz)-[0-9].*\\.jar");

    /**
     * The JVM options the distribution's {@code config.yaml} gives every Flink process on Java 17
     * ({@code env.java.default-opts.all}); its scripts pass them, and so does this class.
     */
    private static final List<String> JAVA_OPTS =
            List.of(
                    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
                    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens=java.base/java.text=ALL-UNNAMED",
                    "--add-opens=java.base/java.time=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final Path dir;
    private final int restPort;
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    private StandaloneFlinkCluster(Path dir, int restPort) {
        this.dir = dir;
        this.restPort = restPort;
    }

    /** Starts a JobManager and a TaskManager of {@code slots} slots; returns once it is up. */
    static StandaloneFlinkCluster start(Path dir, int slots) throws Exception {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        int rpcPort = freePort();
        int restPort = freePort();
        // Started without bin/ scripts, the TaskManager takes its resources spelt out.
        Files.writeString(
                conf.resolve("config.yaml"),
                String.join(
                        "\n",
                        "jobmanager.rpc.address: localhost",
                        "jobmanager.rpc.port: " + rpcPort,
                        "jobmanager.bind-host: localhost",
                        "taskmanager.bind-host: localhost",
                        "taskmanager.host: localhost",
                        "rest.address: localhost",
                        "rest.bind-address: localhost",
                        "rest.port: " + restPort,
                        "taskmanager.numberOfTaskSlots: " + slots,
                        "taskmanager.cpu.cores: " + slots,
                        "taskmanager.memory.framework.heap.size: 128m",
                        "taskmanager.memory.task.heap.size: 384m",
                        "taskmanager.memory.framework.off-heap.size: 128m",
                        "taskmanager.memory.task.off-heap.size: 64m",
                        "taskmanager.memory.network.min: 64m",
                        "taskmanager.memory.network.max: 64m",
                        "taskmanager.memory.managed.size: 128m",
                        "taskmanager.memory.jvm-metaspace.size: 256m",
                        "taskmanager.memory.jvm-overhead.min: 192m",
                        "taskmanager.memory.jvm-overhead.max: 192m",
                        ""));
        // Tideline's INFO lines and everyone's warnings to each process's log.
        Files.writeString(
                conf.resolve("log4j-console.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = WARN",
                        "rootLogger.appenderRef.console.ref = Console",
                        "appender.console.name = Console",
                        "appender.console.type = CONSOLE",
                        "appender.console.layout.type = PatternLayout",
                        "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c - %m%n",
                        "logger.tideline.name = dev.tideline",
                        "logger.tideline.level = INFO",
                        ""));
        StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir, restPort);
        try {
            cluster.launch(
                    "jobmanager",
                    List.of("-Xmx384m"),
                    "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                    List.of("--configDir", conf.toString()));
            cluster.launch(
                    "taskmanager",
                    // --add-modules as env.java.opts.taskmanager gives it on a deployed cluster.
                    List.of(
                            "-Xmx512m",
                            "-XX:MaxDirectMemorySize=320m",
                            "--add-modules",
                            "jdk.incubator.vector"),
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    List.of("--configDir", conf.toString()));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> cluster.overview().contains("\"slots-total\":" + slots));
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /**
     * {@code flink run <args>} against this cluster; returns its exit code once the client is done
     * (with {@code -d}, once the job is submitted). Output goes to {@link #log}.
     */
    int run(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("run"));
        command.addAll(args);
        Process client =
                launch(
                        "flink-run",
                        List.of("-Xmx256m"),
                        "org.apache.flink.client.cli.CliFrontend",
                        command);
        return client.waitFor();
    }

    /** The JobManager's REST endpoint. */
    URI restUrl() {
        return URI.create("http://localhost:" + restPort);
    }

    /** The cluster's REST overview (jobs running, finished, failed; slots). */
    String overview() throws Exception {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://localhost:" + restPort + "/overview"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return r.body();
    }

    /** A process's log: {@code jobmanager}, {@code taskmanager} or {@code flink-run}. */
    Path log(String name) {
        return dir.resolve(name + ".log");
    }

    private Process launch(String name, List<String> jvm, String mainClass, List<String> args)
            throws IOException {
        Path args0 = dir.resolve(name + ".args");
        Files.writeString(args0, "-cp \"" + classPath() + "\"\n");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + args0.toAbsolutePath());
        command.addAll(JAVA_OPTS);
        // As Flink's scripts pass it.
        command.add(
                "-Dlog4j.configurationFile="
                        + dir.resolve("conf").resolve("log4j-console.properties").toUri());
        command.addAll(jvm);
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(log(name).toFile());
        builder.environment().put("FLINK_CONF_DIR", dir.resolve("conf").toString());
        Process p = builder.start();
        processes.add(p);
        return p;
    }

    private static String classPath() throws IOException {
        try (Stream<Path> jars = Files.list(Path.of("target", "lib"))) {
            return jars.filter(j -> DISTRIBUTION.matcher(j.getFileName().toString()).matches())
                    .map(j -> j.toAbsolutePath().toString())
                    .sorted()
                    .collect(Collectors.joining(File.pathSeparator));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly().waitFor();
        }
    }
}
