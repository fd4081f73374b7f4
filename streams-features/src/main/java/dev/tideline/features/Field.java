package dev.tideline.features;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** A transaction field a feature spec can aggregate over or filter on. */
public enum Field {
    AMOUNT(true),
    AMOUNT_MINOR(true),
    MERCHANT_ID(false),
    CURRENCY(false),
    COUNTRY(false),
    CHANNEL(false);

    private final boolean numeric;

    Field(boolean numeric) {
        this.numeric = numeric;
    }

    public boolean numeric() {
        return numeric;
    }

    /** The spec's spelling of the field. */
    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public double number(Event e) {
        return switch (this) {
            case AMOUNT -> e.amount();
            case AMOUNT_MINOR -> e.amountMinor();
            default -> throw new IllegalStateException(specName() + " is not numeric");
        };
    }

    public String text(Event e) {
        return switch (this) {
            case AMOUNT -> Double.toString(e.amount());
            case AMOUNT_MINOR -> Long.toString(e.amountMinor());
            case MERCHANT_ID -> e.merchantId();
            case CURRENCY -> e.currency();
            case COUNTRY -> e.country();
            case CHANNEL -> e.channel();
        };
    }

    static Optional<Field> bySpecName(String name) {
        return Arrays.stream(values()).filter(f -> f.specName().equals(name)).findFirst();
    }

    static String choices() {
        return Arrays.stream(values()).map(Field::specName).collect(Collectors.joining(", "));
    }
}
