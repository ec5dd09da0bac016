package io.reactoruring.core;

import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntSupplier;
import reactor.core.publisher.Mono;

/**
 * What a {@link UringLoop} registers with its ring: direct descriptors, fixed buffers and
 * provided-buffer rings. Each registration runs on the loop thread (io_uring_register on a
 * single-issuer ring must); the buffer-ring table is loop-thread state.
 */
final class LoopRegistrations {
    private static final reactor.util.Logger LOG = reactor.util.Loggers.getLogger(UringLoop.class);
    /**
     * Slots at the start of the loop's own file table left to callers that name their slots
     * ({@link UringLoop#registerFiles} users, such as reactor-uring-file's small-file reads); the
     * rest is the range IORING_FILE_INDEX_ALLOC allocates from.
     */
    static final int EXPLICIT_FILE_SLOTS = 64;

    /** Logged once per JVM: a kernel without IOU_PBUF_RING_INC lacks it on every loop. */
    private static final java.util.concurrent.atomic.AtomicBoolean INCREMENTAL_REFUSAL_LOGGED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private final UringLoop loop;
    private final LoopDriver driver;
    /** The kernel answered EINVAL to IOU_PBUF_RING_INC: not asked again (loop thread). */
    private boolean incrementalRefused;
    private final BitSet bufferGroups = new BitSet();
    private final List<BufferRing> bufferRings = new ArrayList<>();
    /** Fds of this loop's {@link SharedFd}s not closed yet (any thread adds and removes). */
    private final java.util.Set<SharedFd> openFds = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The loop registered its own file table at setup (loop thread, then read-only). */
    private volatile boolean ownFileTable;
    /** Slots IORING_FILE_INDEX_ALLOC may hand out; 0 when direct descriptors are off. */
    private volatile int directSlots;

    LoopRegistrations(UringLoop loop, LoopDriver driver) {
        this.loop = loop;
        this.driver = driver;
    }

    /**
     * Loop thread, at ring setup: registers a sparse file table of {@link #EXPLICIT_FILE_SLOTS} +
     * {@code slots} entries and restricts allocation to the last {@code slots} (kernel 6.0+). A table
     * larger than RLIMIT_NOFILE is refused (EMFILE): halve and retry. Any other refusal leaves direct
     * descriptors off; files then get plain fds.
     */
    void setUpFileTable(long ring, int slots) {
        int n = slots;
        int res = -Errno.EINVAL;
        while (n >= 16) {
            res = Native.registerFilesSparse(ring, EXPLICIT_FILE_SLOTS + n);
            if (res != -Errno.EMFILE) {
                break;
            }
            n /= 2;
        }
        if (n < 16 || res < 0) {
            LOG.debug("io_uring loop {}: no direct descriptors: io_uring_register_files_sparse failed with {}",
                    loop.name(), Errno.name(res));
            return;
        }
        ownFileTable = true;
        res = Native.registerFileAllocRange(ring, EXPLICIT_FILE_SLOTS, n);
        if (res < 0) {
            LOG.debug("io_uring loop {}: no direct descriptors: io_uring_register_file_alloc_range failed with {}",
                    loop.name(), Errno.name(res));
            return;
        }
        directSlots = n;
    }

    int directSlots() {
        return directSlots;
    }

    Mono<Void> registerFiles(int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be > 0, was " + count);
        }
        if (ownFileTable) {
            // The ring has one file table, the loop's: its first slots are the caller's to name.
            return onLoop("io_uring_register_files_sparse",
                    () -> count <= EXPLICIT_FILE_SLOTS ? 0 : -Errno.EBUSY);
        }
        return onLoop("io_uring_register_files_sparse", () -> Native.registerFilesSparse(driver.ring(), count));
    }

    Mono<Void> registerBuffers(List<PooledBuffer> buffers) {
        Objects.requireNonNull(buffers, "buffers");
        if (buffers.isEmpty()) {
            throw new IllegalArgumentException("no buffers to register");
        }
        List<PooledBuffer> copy = List.copyOf(buffers);
        long pinned = copy.stream().mapToLong(PooledBuffer::capacity).sum();
        return onLoop("io_uring_register_buffers", pinned, () -> {
            long bytes = 16L * copy.size();
            long iov = NativeMemory.allocate(bytes, 16);
            try {
                ByteBuffer b = Native.wrap(iov, (int) bytes).order(ByteOrder.nativeOrder());
                for (int i = 0; i < copy.size(); i++) {
                    b.putLong(16 * i, copy.get(i).address());
                    b.putLong(16 * i + 8, copy.get(i).capacity());
                }
                return Native.registerBuffers(driver.ring(), iov, copy.size());
            } finally {
                NativeMemory.free(iov, bytes); // the kernel pins the pages; the iovec array is not kept
            }
        });
    }

    Mono<Void> unregisterBuffers() {
        return onLoop("io_uring_unregister_buffers", () -> Native.unregisterBuffers(driver.ring()));
    }

    Mono<BufferRing> registerBufferRing(int entries, int bufferSize, boolean incremental) {
        BufferRing.checkSize(entries, bufferSize);
        return Mono.create(sink -> loop.execute(() -> {
            int group = bufferGroups.nextClearBit(0);
            if (group > 0xffff) {
                sink.error(Errno.exception(-Errno.ENOBUFS, "io_uring_register_buf_ring", loop.name()));
                return;
            }
            BufferRing r;
            try {
                r = CoreAccess.allocateRing(entries, bufferSize, group, loop.bufferPool(),
                        this::unregisterBufferRing, driver.metrics().bufferRingExhaustions::incrementAndGet);
            } catch (RuntimeException | OutOfMemoryError e) {
                sink.error(e);
                return;
            }
            boolean inc = incremental && incrementalPossible();
            int res = inc ? Native.registerBufRing(driver.ring(), r.ringAddress(), entries, group, Opcode.IOU_PBUF_RING_INC)
                    : -Errno.EINVAL;
            if (inc && res == -Errno.EINVAL) {
                // A kernel that does not know the flag: the same ring, registered as before.
                incrementalRefused = true;
                if (INCREMENTAL_REFUSAL_LOGGED.compareAndSet(false, true)) {
                    LOG.debug("io_uring_register_buf_ring refused IOU_PBUF_RING_INC (EINVAL) on Linux {}: "
                            + "provided buffers are consumed whole", System.getProperty("os.version"));
                }
            }
            if (!inc || res == -Errno.EINVAL) {
                inc = false;
                res = Native.registerBufRing(driver.ring(), r.ringAddress(), entries, group, 0);
            }
            if (res < 0) {
                r.close();
                sink.error(Errno.exception(res, "io_uring_register_buf_ring", loop.name() + memlockNote(res,
                        (long) entries * bufferSize + 16L * entries)));
                return;
            }
            CoreAccess.incremental(r, inc);
            if (inc) {
                driver.metrics().incrementalBufferRings++;
            }
            bufferGroups.set(group);
            bufferRings.add(r);
            sink.success(r);
        }));
    }

    /** A ring's last reference is gone (any thread): unregister it on the loop, then free it. */
    private void unregisterBufferRing(BufferRing r) {
        Runnable task = () -> {
            if (bufferRings.remove(r)) {
                Native.unregisterBufRing(driver.ring(), r.groupId());
                bufferGroups.clear(r.groupId());
                if (r.incremental()) {
                    driver.metrics().incrementalBufferRings--;
                }
            }
            CoreAccess.free(r);
        };
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            CoreAccess.free(r); // the ring fd is gone, and the registration with it
        }
    }

    void fdOpened(SharedFd fd) {
        openFds.add(fd);
    }

    void fdClosed(SharedFd fd) {
        openFds.remove(fd);
    }

    /**
     * Loop thread, after the ring is closed: closes (close(2)) every fd its SharedFds still own, whose
     * owner never closed them or whose close came too late for the ring, so that nothing leaks and
     * peers see end of stream; frees the buffer rings whose unregister task was dropped.
     */
    void closeAfterRing() {
        for (SharedFd fd : openFds) {
            fd.closeNow();
        }
        for (BufferRing br : bufferRings) {
            if (br.isReleased()) {
                CoreAccess.free(br); // its unregister task was posted but dropped with the inbox
            } // else: freed directly by its last release (execute() rejects from now on)
        }
        bufferRings.clear();
    }

    private Mono<Void> onLoop(String what, IntSupplier call) {
        return onLoop(what, 0, call);
    }

    /** ENOMEM from a registration is usually RLIMIT_MEMLOCK: say so, with the limit's value. */
    /** IOU_PBUF_RING_INC came with Linux 6.12: older kernels are not asked (and not logged about). */
    private boolean incrementalPossible() {
        if (incrementalRefused) {
            return false;
        }
        String release = System.getProperty("os.version", "");
        if (io.reactoruring.core.internal.KernelVersion.atLeast(release, 6, 12)) {
            return true;
        }
        if (INCREMENTAL_REFUSAL_LOGGED.compareAndSet(false, true)) {
            LOG.debug("Linux {} predates IOU_PBUF_RING_INC (6.12): provided buffers are consumed whole", release);
        }
        return false;
    }

    private static String memlockNote(int res, long pinnedBytes) {
        return res == -Errno.ENOMEM ? Uring.memlockNoteForEnomem(pinnedBytes, "the registration") : "";
    }

    private Mono<Void> onLoop(String what, long pinnedBytes, IntSupplier call) {
        return Mono.create(sink -> loop.execute(() -> {
            int res = call.getAsInt();
            if (res < 0) {
                sink.error(Errno.exception(res, what, loop.name() + memlockNote(res, pinnedBytes)));
            } else {
                sink.success();
            }
        }));
    }
}
