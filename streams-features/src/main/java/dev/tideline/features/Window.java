package dev.tideline.features;

import java.time.Duration;

/**
 * A named sliding window, kept as {@code tiles} fixed time tiles of equal width.
 *
 * <p>Tile {@code n} covers event times {@code [n * width, (n + 1) * width)}. A window evaluated as
 * of an event in tile {@code k} is the tiles {@code k - tiles + 1 .. k}: it holds every event of
 * the last {@code size} of event time to within one tile width at either edge.
 */
public record Window(String name, Duration size, int tiles) {

    public long widthMs() {
        return size.toMillis() / tiles;
    }

    public long tileOf(long eventTimeMs) {
        return Math.floorDiv(eventTimeMs, widthMs());
    }
}
