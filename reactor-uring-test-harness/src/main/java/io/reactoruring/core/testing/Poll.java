package io.reactoruring.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that another thread, the kernel or the garbage collector makes true, by
 * re-checking it with a bounded deadline. The condition is the synchronisation: the pause between
 * checks only keeps the poll from burning a core the awaited work needs (these tests wait for a
 * trim interval, a GC-driven leak report or connections closing, none of which signals a latch).
 */
public final class Poll {
    /** How long {@link #until} and {@link #untilWithGc} wait before giving up. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final long PAUSE_MILLIS = 10;

    private Poll() {
    }

    /** True as soon as {@code condition} holds; false if it still does not after {@link #TIMEOUT}. */
    public static boolean until(BooleanSupplier condition) throws InterruptedException {
        return poll(condition, false);
    }

    /** As {@link #until}, with a {@link System#gc()} before each pause (for conditions that need a collection). */
    public static boolean untilWithGc(BooleanSupplier condition) throws InterruptedException {
        return poll(condition, true);
    }

    private static boolean poll(BooleanSupplier condition, boolean gc) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            if (gc) {
                System.gc();
            }
            Thread.sleep(PAUSE_MILLIS);
        }
        return true;
    }
}
