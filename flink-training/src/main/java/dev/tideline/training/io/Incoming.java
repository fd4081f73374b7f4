package dev.tideline.training.io;

/**
 * What a source record became: a vector, a label, or a rejection naming why it cannot be used.
 * Exactly one field is set. A Flink POJO.
 */
public final class Incoming {

    public ServedVector vector;
    public LabelEvent label;
    public Rejected rejected;

    public Incoming() {}

    public static Incoming of(ServedVector v) {
        Incoming i = new Incoming();
        i.vector = v;
        return i;
    }

    public static Incoming of(LabelEvent l) {
        Incoming i = new Incoming();
        i.label = l;
        return i;
    }

    public static Incoming of(Rejected r) {
        Incoming i = new Incoming();
        i.rejected = r;
        return i;
    }
}
