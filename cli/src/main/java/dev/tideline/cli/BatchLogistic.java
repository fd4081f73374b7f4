package dev.tideline.cli;

/**
 * Logistic regression fitted offline to convergence: inputs standardised with the training rows'
 * mean and standard deviation (as the online learner's scaler does), then Newton's method
 * (iteratively reweighted least squares) on the log-likelihood with a small ridge, until no weight
 * moves by more than 1e-8. The ridge only keeps separable data finite; nothing else is tuned. It is
 * {@code bench quality}'s ceiling for a linear model of the served vectors.
 */
final class BatchLogistic {

    private static final double MIN_STD = 1e-6;
    private static final int MAX_ITERATIONS = 100;
    private static final double TOLERANCE = 1e-8;

    private final double[] mean;
    private final double[] std;
    private final double[] weights; // the last one is the bias
    private final int iterations;

    private BatchLogistic(double[] mean, double[] std, double[] weights, int iterations) {
        this.mean = mean;
        this.std = std;
        this.weights = weights;
        this.iterations = iterations;
    }

    /**
     * @param rows training rows, each {@code width} values
     * @param fraud their labels
     * @param ridge the L2 penalty on the weights (not the bias), in units of the log-likelihood
     */
    static BatchLogistic fit(float[][] rows, boolean[] fraud, double ridge) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("no training rows");
        }
        int width = rows[0].length;
        double[] mean = new double[width];
        double[] std = new double[width];
        for (float[] r : rows) {
            for (int j = 0; j < width; j++) {
                mean[j] += r[j];
            }
        }
        for (int j = 0; j < width; j++) {
            mean[j] /= rows.length;
        }
        for (float[] r : rows) {
            for (int j = 0; j < width; j++) {
                double d = r[j] - mean[j];
                std[j] += d * d;
            }
        }
        for (int j = 0; j < width; j++) {
            std[j] = Math.sqrt(std[j] / rows.length);
        }
        int d = width + 1;
        double[][] z = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            z[i] = standardised(rows[i], mean, std);
        }
        double[] w = new double[d];
        int iteration = 0;
        while (iteration < MAX_ITERATIONS) {
            iteration++;
            double[] gradient = new double[d];
            double[][] hessian = new double[d][d];
            for (int i = 0; i < z.length; i++) {
                double[] x = z[i];
                double p = sigmoid(dot(w, x));
                double residual = p - (fraud[i] ? 1 : 0);
                double weight = Math.max(p * (1 - p), 1e-12);
                for (int a = 0; a < d; a++) {
                    gradient[a] += residual * x[a];
                    double wa = weight * x[a];
                    for (int b = 0; b <= a; b++) {
                        hessian[a][b] += wa * x[b];
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < a; b++) {
                    hessian[b][a] = hessian[a][b];
                }
                if (a < width) {
                    gradient[a] += ridge * w[a];
                    hessian[a][a] += ridge;
                }
            }
            double[] step = solve(hessian, gradient);
            // Newton's full step, halved while it would raise the penalised loss.
            double before = loss(z, fraud, w, ridge, width);
            double[] next = new double[d];
            double scale = 1;
            for (int halving = 0; halving < 30; halving++, scale /= 2) {
                for (int a = 0; a < d; a++) {
                    next[a] = w[a] - scale * step[a];
                }
                if (loss(z, fraud, next, ridge, width) <= before) {
                    break;
                }
            }
            double largest = 0;
            for (int a = 0; a < d; a++) {
                largest = Math.max(largest, Math.abs(next[a] - w[a]));
            }
            w = next;
            if (largest < TOLERANCE) {
                break;
            }
        }
        return new BatchLogistic(mean, std, w, iteration);
    }

    /** The negative log-likelihood plus the ridge penalty. */
    private static double loss(double[][] z, boolean[] fraud, double[] w, double ridge, int width) {
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            double t = dot(w, z[i]);
            // log(1 + e^t) - y t, computed without overflow
            double softplus = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
            sum += softplus - (fraud[i] ? t : 0);
        }
        for (int a = 0; a < width; a++) {
            sum += ridge * w[a] * w[a] / 2;
        }
        return sum;
    }

    /** The probability of fraud for each row. */
    float[] score(float[][] rows) {
        float[] out = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = score(rows[i]);
        }
        return out;
    }

    /** The probability of fraud for one row. */
    float score(float[] row) {
        return (float) sigmoid(dot(weights, standardised(row, mean, std)));
    }

    int iterations() {
        return iterations;
    }

    /** The row standardised, with a constant 1 appended for the bias. */
    private static double[] standardised(float[] row, double[] mean, double[] std) {
        double[] x = new double[row.length + 1];
        for (int j = 0; j < row.length; j++) {
            x[j] = std[j] < MIN_STD ? 0 : (row[j] - mean[j]) / std[j];
        }
        x[row.length] = 1;
        return x;
    }

    private static double dot(double[] w, double[] x) {
        double s = 0;
        for (int j = 0; j < w.length; j++) {
            s += w[j] * x[j];
        }
        return s;
    }

    private static double sigmoid(double t) {
        return 1 / (1 + Math.exp(-t));
    }

    /** Solves {@code a x = b} for a symmetric positive definite {@code a} (Cholesky). */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    // A constant feature leaves a zero pivot (but for the ridge): keep it tiny.
                    l[i][i] = Math.sqrt(Math.max(s, 1e-12));
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }
}
