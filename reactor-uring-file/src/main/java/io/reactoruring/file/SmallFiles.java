package io.reactoruring.file;

import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Whole-file reads of small files without a file descriptor in the process: open and read go to
 * the kernel as one linked chain in one submission, using a slot of the loop's registered file
 * table (a direct descriptor) instead of an fd.
 *
 * <pre>
 * OPENAT(path, file_index = slot)  --IOSQE_IO_LINK-->  READ(slot, IOSQE_FIXED_FILE)      then CLOSE(slot)
 * </pre>
 *
 * <p><b>Why the close is not in the chain.</b> A short read breaks an IOSQE_IO_LINK chain: the
 * kernel cancels the rest of it. Reading a file of unknown size always asks for more than the file
 * holds, so a linked CLOSE would be cancelled nearly every time, and core's
 * {@link UringLoop#submitLinked} offers no IOSQE_IO_HARDLINK. The close of the slot is therefore
 * queued from the loop thread as soon as the read's completion arrives (it rides in the loop's next
 * batch), and the slot is handed to the next read once that close has completed. A failed open
 * leaves the slot empty; its close then answers EBADF, which is expected and ignored.
 *
 * <p><b>Slots.</b> Each loop gets a table of {@value SmallFilesSlots#DEFAULT_SLOTS} direct
 * descriptors, registered on first use; reads beyond that wait, in order, for a slot, so at most
 * that many files are open at once. If another component already registered a file table on the
 * loop, reads fail with the EBUSY error of that registration.
 */
public final class SmallFiles {

    private SmallFiles() {
    }

    /**
     * Reads the whole file at {@code path} (at most {@code maxBytes} bytes) into a pooled buffer,
     * positioned at 0 with its limit at the file size. Short reads are continued on the same slot.
     *
     * <p>The subscriber owns the emitted buffer and must {@link PooledBuffer#release()} it once. A
     * cancelled read releases its buffer and slot once the kernel is done with them. Signals arrive
     * on {@code loop}'s thread.
     *
     * <p>Errors: the standard exception for a failed open or read ({@link java.nio.file.NoSuchFileException},
     * {@link java.nio.file.AccessDeniedException}, a {@link java.nio.file.FileSystemException} with
     * EISDIR for a directory, ...); an {@link IOException} if the file holds more than {@code maxBytes}.
     *
     * @throws IllegalArgumentException if {@code maxBytes <= 0} or {@code maxBytes == Integer.MAX_VALUE},
     *     or the path contains a NUL byte
     */
    public static Mono<PooledBuffer> read(UringLoop loop, Path path, int maxBytes) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        if (maxBytes <= 0 || maxBytes == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxBytes must be in [1, 2^31 - 2], was " + maxBytes);
        }
        byte[] pathBytes = NativeBlock.pathBytes(path);
        return Mono.<PooledBuffer>create(sink -> {
            Job job = new Job(loop, pathBytes, path.toString(), maxBytes, sink);
            sink.onCancel(job::cancel);
            SmallFilesSlots.of(loop).acquire(loop, new SmallFilesSlots.Waiter(job::start, sink::error));
        }).doOnDiscard(PooledBuffer.class, PooledBuffer::release); // a success racing a cancel
    }

    /**
     * One read, driven on the loop thread by its ops' {@code whenKernelDone} hooks: each hook runs
     * exactly once, after the op's signal (if any), when the kernel no longer touches the buffer.
     */
    private static final class Job {
        private static final int NONE = -1;

        private final UringLoop loop;
        private final SmallFilesSlots slots;
        private final byte[] pathBytes;
        private final String target;
        private final int maxBytes;
        /** One byte more than allowed, to tell "exactly maxBytes" from "larger". */
        private final int want;
        private final MonoSink<PooledBuffer> sink;
        private final Disposable.Swap current = Disposables.swap();
        private volatile boolean cancelled;
        // Loop thread only.
        private int slot;
        private @Nullable PooledBuffer buf;
        private int done;
        private int result = NONE;

        Job(UringLoop loop, byte[] pathBytes, String target, int maxBytes, MonoSink<PooledBuffer> sink) {
            this.loop = loop;
            this.slots = SmallFilesSlots.of(loop);
            this.pathBytes = pathBytes;
            this.target = target;
            this.maxBytes = maxBytes;
            this.want = maxBytes + 1;
            this.sink = sink;
        }

        void cancel() {
            cancelled = true;
            current.dispose();
        }

        /** Loop thread: {@code slot} is ours; false if the caller has already gone. */
        boolean start(int slot) {
            if (cancelled) {
                return false;
            }
            this.slot = slot;
            this.buf = loop.bufferPool().acquire(want);
            NativeBlock path = NativeBlock.ofPaths(pathBytes);
            // No O_CLOEXEC: the kernel rejects it (EINVAL) for a direct descriptor, which no exec can inherit.
            Op open = Op.builder(Opcode.OPENAT).fd(UringFiles.AT_FDCWD).addr(path.address())
                    .opFlags(UringFiles.O_RDONLY).fileIndex(slot + 1)
                    .whenKernelDone(path::free).name("openat").target(target).build();
            step(loop.submitLinked(List.of(open, readOp())).map(r -> r.result(1)));
            return true;
        }

        private Op readOp() {
            PooledBuffer b = Objects.requireNonNull(buf);
            return Op.builder(Opcode.READ).fd(slot).sqeFlags(Opcode.IOSQE_FIXED_FILE).addr(b.address() + done)
                    .length(want - done).offset(done).keepAlive(b).whenKernelDone(this::kernelDone)
                    .name("read").target(target).build();
        }

        private void step(Mono<Integer> op) {
            result = NONE;
            // Errors go straight to the caller; the hook that follows frees the slot and the buffer.
            current.replace(op.subscribe(n -> result = n, sink::error));
        }

        /** Loop thread, after the current read's CQE (or after it was dropped before the kernel). */
        private void kernelDone() {
            int n = result;
            PooledBuffer b = Objects.requireNonNull(buf);
            if (n == NONE || cancelled) {
                b.release();
                closeSlot();
                return;
            }
            done += n;
            if (n > 0 && done < want) {
                step(loop.submit(readOp())); // a short read before EOF: continue on the same slot
                return;
            }
            closeSlot();
            if (done > maxBytes) {
                b.release();
                sink.error(new IOException(target + " is larger than maxBytes (" + maxBytes + ")"));
            } else {
                b.buffer().clear().limit(done);
                sink.success(b);
            }
        }

        private void closeSlot() {
            int s = slot;
            Op close = Op.builder(Opcode.CLOSE).fd(0).fileIndex(s + 1).acceptedErrno(Errno.EBADF)
                    .name("close").target(target).build();
            loop.submit(close).subscribe(r -> { }, e -> slots.release(s), () -> slots.release(s));
        }
    }
}
