package dev.tideline.bench.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.ops.ParentWatch;
import dev.tideline.schemas.model.Evaluation;
import dev.tideline.training.TrainingConfig;
import dev.tideline.training.learn.Aggregator;
import dev.tideline.training.learn.GlobalState;
import dev.tideline.training.learn.LocalModel;
import dev.tideline.training.learn.ModelUpdate;
import dev.tideline.training.learn.TrainingSettings;
import dev.tideline.training.model.FeatureScaler;
import dev.tideline.training.model.Network;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tideline bench replay}: the learners replayed offline over the examples of a {@code bench
 * quality --dump}, under the job's settings or others ({@code -D}), so that a change to how they
 * learn is measured on exactly the same vectors and labels, many times, in seconds.
 *
 * <p>The replay walks the dump in event time as the pipeline does: an example is trained on once it
 * has matured ({@code maturity-ms} after its event), the P learners each take their share (by
 * transaction id) and report every {@code update-every} examples or every two seconds of event time
 * in rounds the aggregator averages, and a release is taken every {@code release-every-ms} of event
 * time. Each example of the judged window (the last {@code --judge} of the history) is scored by
 * the release in service at its time, as serving would have, and the window's AUC and average
 * precision are those of the pooled scores. One example in {@code holdout-every} is kept out of
 * training, as the job's holdout keeps it. Each of {@code --orderings} runs shuffles the examples
 * within blocks of 256 (the order in which the learners meet them varies from run to run in the
 * pipeline); the run is deterministic for a given ordering. Prints one JSON line last.
 */
@Command(
        name = "tideline bench replay",
        mixinStandardHelpOptions = true,
        description =
                "Replays the learners over a bench quality --dump under given settings; prints one"
                        + " JSON line last.")
public final class LearnerReplay implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long ROUND_EVERY_MS = 2_000;

    @Option(names = "--dump", required = true, description = "A bench quality --dump file.")
    Path dump;

    @Option(
            names = "--live-start",
            required = true,
            description =
                    "The dump's end of history, in epoch milliseconds (bench quality logs it):"
                            + " the replay stops there.")
    long liveStart;

    @Option(
            names = "--judge",
            description =
                    "Minutes of history before --live-start whose served scores are judged"
                            + " (default: ${DEFAULT-VALUE}).")
    int judgeMinutes = 10;

    @Option(
            names = "--maturity-minutes",
            description =
                    "How long after its event an example is trained on, unless"
                            + " -Dtideline.training.maturity-ms says (default: ${DEFAULT-VALUE},"
                            + " the demo's for 30 minutes of simulated history).")
    int maturityMinutes = 6;

    @Option(
            names = "--orderings",
            description = "Runs, each with its own ordering (default: ${DEFAULT-VALUE}).")
    int orderings = 4;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "A training setting, as for the job (for example"
                            + " -Dtideline.training.optimizer=adam).")
    Map<String, String> properties = new HashMap<>();

    /** One example of the dump; its fraud scenario, when the dump names one, else null. */
    private record Example(String txn, long time, boolean fraud, String scenario, float[] values) {}

    public static void main(String[] args) {
        ParentWatch.start();
        System.exit(new CommandLine(new LearnerReplay()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Example> all = read(dump);
        if (all.isEmpty()) {
            throw new IllegalArgumentException(dump + " holds no example");
        }
        int width = all.get(0).values().length;
        Map<String, String> values = new HashMap<>();
        values.put("tideline.kafka.bootstrap-servers", "replay:9092");
        values.put("tideline.registry.url", "http://replay");
        values.put("tideline.training.spec-fingerprint", "replay");
        values.put("tideline.training.input-width", String.valueOf(width));
        values.put(
                TrainingConfig.MATURITY_MS,
                String.valueOf(Duration.ofMinutes(maturityMinutes).toMillis()));
        values.putAll(properties);
        TrainingConfig config = new TrainingConfig(values);
        TrainingSettings settings = config.training();
        long maturity = config.maturity().toMillis();
        long releaseEvery = settings.releaseEvery().toMillis();
        int holdoutEvery = config.getInt(TrainingConfig.HOLDOUT_EVERY);
        long judgeFrom = liveStart - Duration.ofMinutes(judgeMinutes).toMillis();

        List<Example> training = new ArrayList<>();
        List<Example> judged = new ArrayList<>();
        for (Example e : all) {
            if (e.time() >= liveStart) {
                continue;
            }
            if (e.time() >= judgeFrom) {
                judged.add(e);
            }
            if (holdoutEvery == 0 || Math.floorMod(e.txn().hashCode(), holdoutEvery) != 0) {
                training.add(e);
            }
        }
        boolean[] truth = new boolean[judged.size()];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = judged.get(i).fraud();
        }

        // Each scenario's frauds against every legitimate example judged.
        Map<String, boolean[]> keepByScenario = new TreeMap<>();
        Map<String, Integer> positivesByScenario = new TreeMap<>();
        for (int i = 0; i < truth.length; i++) {
            String scenario = judged.get(i).scenario();
            if (truth[i] && scenario != null) {
                keepByScenario.computeIfAbsent(scenario, k -> legitimate(truth))[i] = true;
                positivesByScenario.merge(scenario, 1, Integer::sum);
            }
        }
        Map<String, Double> scenarioAucSum = new TreeMap<>();

        ArrayNode runs = JSON.createArrayNode();
        double aucSum = 0;
        double apSum = 0;
        double aucMin = Double.MAX_VALUE;
        for (int run = 0; run < orderings; run++) {
            List<Example> order = new ArrayList<>(training);
            Random random = new Random(run);
            for (int b = 0; b < order.size(); b += 256) {
                Collections.shuffle(order.subList(b, Math.min(order.size(), b + 256)), random);
            }
            float[] served = serve(settings, order, judged, maturity, releaseEvery);
            double auc = Evaluation.auc(served, truth);
            double ap = Evaluation.averagePrecision(served, truth);
            runs.addObject().put("auc", round(auc)).put("ap", round(ap));
            keepByScenario.forEach(
                    (scenario, keep) ->
                            scenarioAucSum.merge(
                                    scenario, Evaluation.auc(served, truth, keep), Double::sum));
            aucSum += auc;
            apSum += ap;
            aucMin = Math.min(aucMin, auc);
        }

        ObjectNode json = JSON.createObjectNode();
        json.put("bench", "replay");
        json.put("examples", training.size());
        json.put("judged", judged.size());
        int positives = 0;
        for (boolean t : truth) {
            positives += t ? 1 : 0;
        }
        json.put("judged_positives", positives);
        json.put("optimizer", settings.optimizer().name().toLowerCase(Locale.ROOT));
        json.put("learning_rate", settings.learningRate());
        json.put("positive_weight", settings.positiveWeight());
        json.put("served_auc", round(aucSum / orderings));
        json.put("served_auc_min", round(aucMin));
        json.put("served_ap", round(apSum / orderings));
        if (!keepByScenario.isEmpty()) {
            ObjectNode by = json.putObject("by_scenario");
            keepByScenario.forEach(
                    (scenario, keep) ->
                            by.putObject(scenario)
                                    .put("positives", positivesByScenario.get(scenario))
                                    .put(
                                            "served_auc",
                                            round(scenarioAucSum.get(scenario) / orderings)));
        }
        json.set("orderings", runs);
        System.out.println(json);
        return 0;
    }

    /**
     * Trains P learners on {@code order} as examples mature and returns the score each judged
     * example gets from the release in service at its time.
     */
    private static float[] serve(
            TrainingSettings settings,
            List<Example> order,
            List<Example> judged,
            long maturity,
            long releaseEvery) {
        int learners = settings.learners();
        LocalModel[] models = new LocalModel[learners];
        for (int k = 0; k < learners; k++) {
            models[k] = LocalModel.fresh(settings);
        }
        GlobalState global =
                new GlobalState(
                        0, settings.initialNetwork(), new FeatureScaler(settings.width()), 0, 0);
        float[] served = new float[judged.size()];
        Network release = null;
        FeatureScaler releaseScaler = null;
        long releasedAt = Long.MIN_VALUE;
        long trainedAt = Long.MIN_VALUE;
        int next = 0;
        int[] took = new int[learners];
        float[] z = new float[settings.width()];
        for (int j = 0; j < judged.size(); j++) {
            long now = judged.get(j).time();
            if (trainedAt == Long.MIN_VALUE || now - trainedAt >= ROUND_EVERY_MS) {
                trainedAt = now;
                while (next < order.size() && order.get(next).time() + maturity <= now) {
                    Arrays.fill(took, 0);
                    while (next < order.size()
                            && order.get(next).time() + maturity <= now
                            && Arrays.stream(took).allMatch(n -> n < settings.updateEvery())) {
                        Example e = order.get(next++);
                        int k = Math.floorMod(e.txn().hashCode(), learners);
                        models[k].train(e.values().clone(), e.fraud(), e.time());
                        took[k]++;
                    }
                    round(settings, global, models);
                }
            }
            if (release == null || now - releasedAt >= releaseEvery) {
                release = global.network.copy();
                releaseScaler = global.scaler.copy();
                releasedAt = now;
            }
            Network.standardise(
                    judged.get(j).values(),
                    releaseScaler.meanAsFloats(),
                    releaseScaler.inverseStd(),
                    z);
            served[j] = release.predict(z);
        }
        return served;
    }

    /**
     * One aggregation round: every learner's update, averaged by examples and scaled by the server
     * learning rate as the job's aggregator does, adopted by all.
     */
    private static void round(TrainingSettings settings, GlobalState global, LocalModel[] models) {
        float[] sum = new float[global.network.params.length];
        long weight = 0;
        int reporters = 0;
        for (int k = 0; k < models.length; k++) {
            ModelUpdate u = models[k].takeUpdate(k);
            if (u == null) {
                continue;
            }
            reporters++;
            global.scaler.merge(u.scaler);
            weight += u.examples;
            for (int i = 0; i < sum.length; i++) {
                sum[i] += u.examples * u.delta[i];
            }
        }
        if (weight == 0) {
            return;
        }
        float inv = (float) (Aggregator.serverRate(settings, reporters) / weight);
        for (int i = 0; i < sum.length; i++) {
            global.network.params[i] += sum[i] * inv;
        }
        global.version++;
        for (LocalModel m : models) {
            m.adopt(global.copy());
        }
    }

    /**
     * The dump's examples, in event time (the order bench quality writes them in). A dump with a
     * {@code scenario} column after {@code model_version} names each fraud's scenario; older dumps
     * have none.
     */
    private static List<Example> read(Path file) throws Exception {
        List<Example> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            String header = in.readLine();
            if (header == null || !header.startsWith("txn_id,event_time,fraud")) {
                throw new IllegalArgumentException(file + " is not a bench quality --dump");
            }
            boolean scenarios = header.contains(",model_version,scenario,");
            int first = scenarios ? 7 : 6;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] f = line.split(",", -1);
                float[] values = new float[f.length - first];
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.parseFloat(f[first + i]);
                }
                String scenario = scenarios && !f[6].isEmpty() ? f[6] : null;
                out.add(
                        new Example(
                                f[0], Long.parseLong(f[1]), f[2].equals("1"), scenario, values));
            }
        }
        out.sort((a, b) -> Long.compare(a.time(), b.time()));
        return out;
    }

    private static boolean[] legitimate(boolean[] truth) {
        boolean[] keep = new boolean[truth.length];
        for (int i = 0; i < truth.length; i++) {
            keep[i] = !truth[i];
        }
        return keep;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 10_000) / 10_000.0;
    }
}
