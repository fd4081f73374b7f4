package dev.tideline.features;

/**
 * What a feature's value goes through last, as the spec declares it ({@code transform: log}): after
 * every feature is computed (a derived feature divides the untransformed values), and before the
 * value is written to the vector. Defaults go through it too: they are values of the feature.
 */
public enum Transform {
    /** The value as computed. */
    NONE {
        @Override
        public double apply(double x) {
            return x;
        }
    },

    /**
     * {@code sign(x) · ln(1 + |x|)}: keeps order, sign and zero, and brings heavy tails (amounts,
     * counts, durations) to a scale a linear model and a running standardisation can use. A payment
     * of 10,000 EUR against one of 40 EUR is 9.2 against 3.7, not 250 to 1.
     */
    LOG {
        @Override
        public double apply(double x) {
            return Math.copySign(Math.log1p(Math.abs(x)), x);
        }
    };

    public abstract double apply(double x);
}
