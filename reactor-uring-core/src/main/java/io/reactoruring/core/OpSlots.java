package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The table of in-flight operations of one loop: user_data = generation << 32 | slot index.
 * Arrays, no map, no boxing. A slot is held from submission to the op's terminal CQE; the
 * generation is bumped on release so that a late CQE for a recycled slot is recognised as stale.
 * Each slot also owns 32 bytes of native scratch memory (two kernel timespecs: the op's own and its
 * linked timeout's), alive exactly as long as the slot. Loop thread only.
 *
 * <p>The table never makes an op wait: when every slot is taken it grows (the Java arrays double;
 * scratch memory is added in chunks that never move, as the kernel may hold their addresses).
 * How many ops enter the kernel per loop iteration is bounded elsewhere
 * ({@link RingOptions#submissionsPerIteration}); how many stay there is not.
 */
final class OpSlots implements AutoCloseable {
    static final int SCRATCH_BYTES = 32;
    /** Slots per scratch chunk (a power of two): 32 KiB of native memory each. */
    static final int CHUNK = 1024;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK);
    /** Slot indices stay below 2^31 so user_data never has bit 63 set. */
    private static final int MAX_CAPACITY = 1 << 30;

    private OpHandle[] handles;
    private int[] generations;
    private int[] members;
    private int[] freeStack;
    private int freeTop;
    private long[] scratch;
    private ByteBuffer[] scratchViews;
    private int used;
    private int highWater;

    OpSlots(int initialCapacity) {
        int capacity = Math.max(CHUNK, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1);
        handles = new OpHandle[0];
        generations = new int[0];
        members = new int[0];
        freeStack = new int[0];
        scratch = new long[0];
        scratchViews = new ByteBuffer[0];
        grow(capacity);
    }

    private void grow(int capacity) {
        int old = handles.length;
        if (capacity > MAX_CAPACITY) {
            throw new IllegalStateException("more than " + MAX_CAPACITY + " io_uring ops in flight on one loop");
        }
        int chunks = capacity >>> CHUNK_SHIFT;
        long[] newScratch = Arrays.copyOf(scratch, chunks);
        ByteBuffer[] newViews = Arrays.copyOf(scratchViews, chunks);
        for (int c = scratch.length; c < chunks; c++) {
            newScratch[c] = NativeMemory.allocate((long) CHUNK * SCRATCH_BYTES, 64);
            newViews[c] = Native.wrap(newScratch[c], CHUNK * SCRATCH_BYTES).order(ByteOrder.nativeOrder());
        }
        scratch = newScratch;
        scratchViews = newViews;
        handles = Arrays.copyOf(handles, capacity);
        generations = Arrays.copyOf(generations, capacity);
        members = Arrays.copyOf(members, capacity);
        int[] stack = new int[capacity];
        System.arraycopy(freeStack, 0, stack, 0, freeTop);
        for (int i = capacity - 1; i >= old; i--) {
            stack[freeTop++] = i; // the lowest new index on top: handed out first
        }
        freeStack = stack;
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

    /** Takes a slot for {@code member} of {@code handle}, growing the table when all are taken. */
    long acquire(OpHandle handle, int member) {
        if (freeTop == 0) {
            grow(handles.length * 2);
        }
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
        int index = (int) userData;
        int chunk = index >>> CHUNK_SHIFT;
        int offset = (index & (CHUNK - 1)) * SCRATCH_BYTES + which * 16;
        ByteBuffer view = scratchViews[chunk];
        view.putLong(offset, nanos / 1_000_000_000L);
        view.putLong(offset + 8, nanos % 1_000_000_000L);
        return scratch[chunk] + offset;
    }

    /** Every op still holding a slot, for shutdown. */
    void forEachInFlight(Consumer<OpHandle> action) {
        for (OpHandle h : handles) {
            if (h != null) {
                action.accept(h);
            }
        }
    }

    @Override
    public void close() {
        for (long address : scratch) {
            NativeMemory.free(address, (long) CHUNK * SCRATCH_BYTES);
        }
    }
}
