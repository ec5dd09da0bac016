package io.reactoruring.net;

import java.util.ArrayDeque;
import java.util.Iterator;
import org.jspecify.annotations.Nullable;

/**
 * The send state one io_uring connection shares among its {@link OutboundWriter}s (one per
 * {@code send(...)}), confined to the connection's loop thread.
 *
 * <p>Turns: one writer at a time has an operation on the socket, and it keeps the turn until none
 * of its buffers is partly sent; then the next waiting writer (FIFO) gets it. So sends subscribed
 * concurrently interleave only at buffer boundaries, never inside a buffer that a short write cut,
 * as on the NIO fallback, whose sends share one queue.
 *
 * <p>Zero copy: SEND_ZC failing with ENOMEM (pinned pages count against RLIMIT_MEMLOCK) turns it
 * off for the connection; its writers send plain SENDs from then on.
 */
final class SendTurns {
    private @Nullable Object holder;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private boolean zeroCopyOff;

    private record Waiter(Object writer, Runnable granted) {
    }

    /**
     * True if {@code writer} has the turn (now or already); else it waits, once, and
     * {@code granted} runs when its turn comes.
     */
    boolean take(Object writer, Runnable granted) {
        if (holder == null || holder == writer) {
            holder = writer;
            return true;
        }
        for (Waiter w : waiting) {
            if (w.writer == writer) {
                return false;
            }
        }
        waiting.add(new Waiter(writer, granted));
        return false;
    }

    /** {@code writer} is done with its turn, or stops waiting for one; the next waiter gets it. */
    void give(Object writer) {
        if (holder != writer) {
            for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
                if (it.next().writer == writer) {
                    it.remove();
                }
            }
            return;
        }
        holder = null;
        Waiter next = waiting.poll();
        if (next != null) {
            holder = next.writer;
            next.granted.run();
        }
    }

    boolean zeroCopyOff() {
        return zeroCopyOff;
    }

    void turnZeroCopyOff() {
        zeroCopyOff = true;
    }
}
