package io.reactoruring.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Waits for a condition that another thread, the kernel or the garbage collector makes true, by
 * re-checking it with a bounded deadline. The condition is the synchronisation: the pause between
 * checks only keeps the poll from burning a core the awaited work needs (these tests wait for a
 * trim interval, a GC-driven leak report or connections closing, none of which signals a latch).
 * {@link #untilOnLoop} waits for what an event loop does right after its signals (release hooks,
 * cancel completions, internal closes) by round trips through that loop instead of pauses.
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

    /**
     * True as soon as {@code condition} holds, checked between round trips of an empty task through
     * {@code loop} (an io_uring loop is a {@link Scheduler}): each one lets the loop run an iteration,
     * and tasks need no op slot, so this works even when every slot is taken. False if it still does
     * not hold after {@link #TIMEOUT}: a deadline, not a count, so a fast idle loop cannot use up the
     * wait before another thread has done its part.
     */
    public static boolean untilOnLoop(Scheduler loop, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(TIMEOUT);
        }
        return true;
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
