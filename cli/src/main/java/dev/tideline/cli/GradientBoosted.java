package dev.tideline.cli;

import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Gradient-boosted trees (XGBoost) fitted offline on the served vectors: {@code bench quality}'s
 * non-linear reference. The parameters are XGBoost's usual starting point for tabular fraud data
 * (depth 6, learning rate 0.1, 200 rounds, histogram splits), fixed rather than searched, and
 * deterministic (no sampling).
 */
final class GradientBoosted {

    static final int ROUNDS = 200;

    private final Booster booster;

    private GradientBoosted(Booster booster) {
        this.booster = booster;
    }

    static GradientBoosted fit(float[][] rows, boolean[] fraud) throws XGBoostError {
        float[] labels = new float[fraud.length];
        for (int i = 0; i < fraud.length; i++) {
            labels[i] = fraud[i] ? 1 : 0;
        }
        DMatrix train = matrix(rows);
        try {
            train.setLabel(labels);
            Map<String, Object> params = new HashMap<>();
            params.put("objective", "binary:logistic");
            params.put("eval_metric", "aucpr");
            params.put("tree_method", "hist");
            params.put("max_depth", 6);
            params.put("eta", 0.1);
            params.put("seed", 1);
            params.put("nthread", Runtime.getRuntime().availableProcessors());
            params.put("verbosity", 0);
            return new GradientBoosted(XGBoost.train(train, params, ROUNDS, Map.of(), null, null));
        } finally {
            train.dispose();
        }
    }

    /** The probability of fraud for each row. */
    float[] score(float[][] rows) throws XGBoostError {
        DMatrix m = matrix(rows);
        try {
            float[][] out = booster.predict(m);
            float[] scores = new float[out.length];
            for (int i = 0; i < out.length; i++) {
                scores[i] = out[i][0];
            }
            return scores;
        } finally {
            m.dispose();
        }
    }

    void dispose() {
        booster.dispose();
    }

    private static DMatrix matrix(float[][] rows) throws XGBoostError {
        int width = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return new DMatrix(flat, rows.length, width, Float.NaN);
    }
}
