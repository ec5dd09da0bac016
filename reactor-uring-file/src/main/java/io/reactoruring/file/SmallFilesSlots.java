package io.reactoruring.file;

import io.reactoruring.core.UringLoop;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * The slots of one loop's registered (direct) file table, handed out to {@link SmallFiles} reads.
 *
 * <p>The table is registered once per loop, lazily, with {@code UringLoop.registerFiles}: the kernel
 * allows one file table per ring (registering again fails with EBUSY) and this module owns it. If
 * something else registered a table first, every request fails with that EBUSY error.
 *
 * <p><b>Threads.</b> All state lives on the loop thread: {@link #acquire} may be called from any
 * thread and posts to the loop; {@link #release} must be called on the loop thread. Requests that
 * find no free slot wait in order, so concurrency is bounded by the table size.
 */
final class SmallFilesSlots {
    /** Direct descriptors registered per loop. */
    static final int DEFAULT_SLOTS = 64;

    private static final Map<UringLoop, SmallFilesSlots> BY_LOOP = new WeakHashMap<>();

    private static final int UNREGISTERED = 0, REGISTERING = 1, READY = 2, FAILED = 3;

    /**
     * A request for a slot: {@code start} gets the slot and answers false if its caller has gone
     * (the slot is then handed on); {@code fail} gets the registration error.
     */
    record Waiter(IntPredicate start, Consumer<Throwable> fail) {
    }

    private final int capacity;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private final int[] free;
    private int freeCount;
    private int state = UNREGISTERED;
    private @Nullable Throwable failure;
    // Read by tests from other threads after a loop round trip.
    private volatile int inUse;
    private volatile int inUseHighWater;
    private volatile int waitersHighWater;

    private SmallFilesSlots(int capacity) {
        this.capacity = capacity;
        this.free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i; // slot 0 is handed out first
        }
        this.freeCount = capacity;
    }

    /**
     * The allocator of {@code loop}'s file table, created on first use. Weakly keyed, and the allocator
     * does not reference its loop, so a discarded loop's entry goes with it.
     */
    static SmallFilesSlots of(UringLoop loop) {
        synchronized (BY_LOOP) {
            return BY_LOOP.computeIfAbsent(loop, l -> new SmallFilesSlots(DEFAULT_SLOTS));
        }
    }

    /**
     * Any thread: runs {@code w.start} on the thread of {@code loop} (the loop this allocator belongs
     * to) with a free slot, as soon as there is one.
     */
    void acquire(UringLoop loop, Waiter w) {
        loop.execute(() -> {
            if (state == FAILED) {
                w.fail.accept(failure);
                return;
            }
            if (state == READY && freeCount > 0) {
                int slot = free[--freeCount];
                if (!hand(slot, w)) {
                    free[freeCount++] = slot;
                }
                return;
            }
            waiters.add(w);
            waitersHighWater = Math.max(waitersHighWater, waiters.size());
            if (state == UNREGISTERED) {
                state = REGISTERING;
                // The registration's own callback runs on the loop thread (registerFiles posts to it).
                loop.registerFiles(capacity).subscribe(null, this::registrationFailed, this::registered);
            }
        });
    }

    /** Loop thread: {@code slot} is empty again (its close completed); the next live waiter gets it. */
    void release(int slot) {
        inUse--;
        Waiter w;
        while ((w = waiters.poll()) != null) {
            if (hand(slot, w)) {
                return;
            }
        }
        free[freeCount++] = slot;
    }

    /** Gives {@code slot} to {@code w}; false (slot still free) if {@code w}'s caller has gone. */
    private boolean hand(int slot, Waiter w) {
        inUse++;
        inUseHighWater = Math.max(inUseHighWater, inUse);
        if (w.start.test(slot)) {
            return true;
        }
        inUse--;
        return false;
    }

    private void registered() {
        state = READY;
        while (freeCount > 0 && !waiters.isEmpty()) {
            int slot = free[--freeCount];
            if (!hand(slot, waiters.poll())) {
                free[freeCount++] = slot;
            }
        }
    }

    private void registrationFailed(Throwable e) {
        state = FAILED;
        failure = e;
        Waiter w;
        while ((w = waiters.poll()) != null) {
            w.fail.accept(e);
        }
    }

    int capacity() {
        return capacity;
    }

    /** Slots handed out and not yet released. */
    int inUse() {
        return inUse;
    }

    int inUseHighWater() {
        return inUseHighWater;
    }

    int waitersHighWater() {
        return waitersHighWater;
    }
}
