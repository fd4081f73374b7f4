package dev.tideline.training.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Deploys the training job on a Flink session cluster through its JobManager's REST API: uploads
 * the job jar, runs it with the job's settings as program arguments (from a savepoint, when given),
 * and cancels a job with a savepoint for an upgrade.
 */
public final class FlinkDeployer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI jobManager;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param jobManager the REST endpoint, such as {@code http://jobmanager:8081}
     */
    public FlinkDeployer(URI jobManager, Duration timeout) {
        String base = jobManager.toString();
        this.jobManager = URI.create(base.endsWith("/") ? base : base + "/");
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Uploads a jar; its id on the cluster. */
    public String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "tideline-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\n"
                                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode answer =
                send(
                        HttpRequest.newBuilder(jobManager.resolve("jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())),
                        "uploading " + jar);
        String file = answer.path("filename").asText();
        if (file.isEmpty()) {
            throw new DeployException("the JobManager did not name the uploaded jar: " + answer);
        }
        return Path.of(file).getFileName().toString();
    }

    /**
     * Runs an uploaded jar's main class with these program arguments; the job's id.
     *
     * @param savepoint a savepoint (or retained checkpoint) to start from
     * @param allowNonRestoredState let state in the savepoint that no operator claims be dropped
     */
    public String run(
            String jarId,
            String entryClass,
            List<String> programArgs,
            Optional<String> savepoint,
            boolean allowNonRestoredState)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("entryClass", entryClass);
        ArrayNode args = request.putArray("programArgsList");
        programArgs.forEach(args::add);
        savepoint.ifPresent(s -> request.put("savepointPath", s));
        request.put("allowNonRestoredState", allowNonRestoredState);
        JsonNode answer =
                send(
                        HttpRequest.newBuilder(jobManager.resolve("jars/" + jarId + "/run"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(request.toString())),
                        "running " + jarId);
        String job = answer.path("jobid").asText();
        if (job.isEmpty()) {
            throw new DeployException("the JobManager did not name the job: " + answer);
        }
        return job;
    }

    /** The job's status: {@code RUNNING}, {@code CANCELED}, ... */
    public String status(String jobId) throws IOException, InterruptedException {
        return send(
                        HttpRequest.newBuilder(jobManager.resolve("jobs/" + jobId)).GET(),
                        "job " + jobId)
                .path("state")
                .asText();
    }

    /**
     * Takes a savepoint into {@code directory} and cancels the job once it is complete; the
     * savepoint's path, to start the next version from.
     */
    public String cancelWithSavepoint(String jobId, String directory, Duration wait)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.put("target-directory", directory);
        request.put("cancel-job", true);
        JsonNode trigger =
                send(
                        HttpRequest.newBuilder(jobManager.resolve("jobs/" + jobId + "/savepoints"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(request.toString())),
                        "triggering a savepoint of " + jobId);
        String requestId = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            JsonNode s =
                    send(
                            HttpRequest.newBuilder(
                                            jobManager.resolve(
                                                    "jobs/" + jobId + "/savepoints/" + requestId))
                                    .GET(),
                            "savepoint " + requestId);
            if ("COMPLETED".equals(s.path("status").path("id").asText())) {
                JsonNode failure = s.path("operation").path("failure-cause");
                if (!failure.isMissingNode() && !failure.isNull()) {
                    throw new DeployException(
                            "the savepoint of "
                                    + jobId
                                    + " failed: "
                                    + failure.path("stack-trace").asText(failure.toString()));
                }
                return s.path("operation").path("location").asText();
            }
            if (System.nanoTime() > deadline) {
                throw new DeployException(
                        "the savepoint of " + jobId + " was not complete after " + wait);
            }
            Thread.sleep(500); // polling the JobManager, as its own CLI does
        }
    }

    /** The web UI's page of a job. */
    public URI webUi(String jobId) {
        return jobManager.resolve("#/job/running/" + jobId + "/overview");
    }

    private JsonNode send(HttpRequest.Builder request, String what)
            throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new DeployException(
                    what
                            + ": the JobManager at "
                            + jobManager
                            + " answered "
                            + r.statusCode()
                            + " "
                            + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** A deployment step the JobManager refused or did not complete. */
    public static final class DeployException extends RuntimeException {
        DeployException(String message) {
            super(message);
        }
    }
}
