package io.reactoruring.core;

/**
 * The table of in-flight operations of one loop: user_data = generation << 32 | slot index.
 * Arrays, no map, no boxing. A slot is held from submission to the op's terminal CQE; the
 * generation is bumped on release so that a late CQE for a recycled slot is recognised as stale.
 * Each slot also owns 32 bytes of native scratch memory (two kernel timespecs: the op's own and its
 * linked timeout's), alive exactly as long as the slot. Loop thread only.
 */
final class OpSlots implements AutoCloseable {
    static final int SCRATCH_BYTES = 32;

    private final OpHandle[] handles;
    private final int[] generations;
    private final int[] members;
    private final int[] freeStack;
    private int freeTop;
    private final long scratch;
    private final java.nio.ByteBuffer scratchView;
    private int used;
    private int highWater;

    OpSlots(int capacity) {
        handles = new OpHandle[capacity];
        generations = new int[capacity];
        members = new int[capacity];
        freeStack = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeStack[i] = capacity - 1 - i; // hand out low indices first
        }
        freeTop = capacity;
        scratch = NativeMemory.allocate((long) capacity * SCRATCH_BYTES, 64);
        scratchView = io.reactoruring.core.internal.Native.wrap(scratch, capacity * SCRATCH_BYTES)
                .order(java.nio.ByteOrder.nativeOrder());
    }

    int capacity() {
        return handles.length;
    }

    int free() {
        return freeTop;
    }

    int used() {
        return used;
    }

    int highWater() {
        return highWater;
    }

    /** Takes a slot for {@code member} of {@code handle}; the caller has checked {@link #free()}. */
    long acquire(OpHandle handle, int member) {
        int index = freeStack[--freeTop];
        handles[index] = handle;
        members[index] = member;
        if (++used > highWater) {
            highWater = used;
        }
        return ((long) generations[index] << 32) | index;
    }

    /** The op owning {@code userData}, or null if the slot was recycled since (a stale CQE). */
    OpHandle lookup(long userData) {
        int index = (int) userData;
        if (index < 0 || index >= handles.length || generations[index] != (int) (userData >>> 32)) {
            return null;
        }
        return handles[index];
    }

    int member(long userData) {
        return members[(int) userData];
    }

    void release(long userData) {
        int index = (int) userData;
        handles[index] = null;
        // 31 bits so user_data never has bit 63 set: those values are reserved for internal SQEs.
        generations[index] = (generations[index] + 1) & 0x7fffffff;
        freeStack[freeTop++] = index;
        used--;
    }

    /**
     * Writes a {@code struct __kernel_timespec} into the slot's scratch area {@code which} (0 = the
     * op's, 1 = its linked timeout's) and returns its address.
     */
    long writeTimespec(long userData, int which, long nanos) {
        int offset = (int) userData * SCRATCH_BYTES + which * 16;
        scratchView.putLong(offset, nanos / 1_000_000_000L);
        scratchView.putLong(offset + 8, nanos % 1_000_000_000L);
        return scratch + offset;
    }

    /** Every op still holding a slot, for shutdown. */
    void forEachInFlight(java.util.function.Consumer<OpHandle> action) {
        for (OpHandle h : handles) {
            if (h != null) {
                action.accept(h);
            }
        }
    }

    @Override
    public void close() {
        NativeMemory.free(scratch, (long) handles.length * SCRATCH_BYTES);
    }
}
