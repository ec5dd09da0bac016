package io.reactoruring.file;

import io.reactoruring.core.ChainResult;
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
 * Whole-file reads of small files without a file descriptor in the process: open, read and close go
 * to the kernel as one hard-linked chain in one submission, using a slot of the loop's registered
 * file table (a direct descriptor) instead of an fd.
 *
 * <pre>
 * OPENAT(path, file_index = slot)
 *   --IOSQE_IO_HARDLINK-->  READ(slot, IOSQE_FIXED_FILE, maxBytes + 1 bytes, at the file position)
 *   --IOSQE_IO_HARDLINK-->  READ(slot, IOSQE_FIXED_FILE, 1 byte, at the file position)   the EOF probe
 *   --IOSQE_IO_HARDLINK-->  CLOSE(slot)
 * </pre>
 *
 * <p><b>Why hard links.</b> A short read breaks an IOSQE_IO_LINK chain, and reading a file of
 * unknown size always asks for more than the file holds, so a soft-linked CLOSE would be cancelled
 * nearly every time. With {@link UringLoop#submitHardLinked} every member runs whatever the previous
 * one answered: the slot is closed by the chain itself, after a failed open (its close then answers
 * EBADF, expected and ignored), a failed read or a short one.
 *
 * <p><b>Is a short read the end of the file?</b> Both reads use the file position (offset -1): the
 * probe reads the byte that follows what the first read returned. It answers 0 at the end of the
 * file, so a file of up to {@code maxBytes} bytes takes one round trip. A first read that returned
 * {@code maxBytes + 1} bytes means the file is too large. If the probe finds more data, the first
 * read was short before the end of the file, which regular files do not do in practice but seq_file
 * files under {@code /proc} do (they return about a page per read). The read then starts over on a
 * fresh open of the path, and is continued on that one open file until EOF, with the close queued
 * after the last read (one round trip per read, one more for the close). A FIFO or another file
 * whose data a read consumes is not a small file: its first chunk would be lost by that fresh open.
 *
 * <p><b>Slots.</b> Each loop gets a table of {@value SmallFilesSlots#DEFAULT_SLOTS} direct
 * descriptors, registered on first use; reads beyond that wait, in order, for a slot, so at most
 * that many files are open at once. A slot is handed to the next read once its close has completed.
 * If another component already registered a file table on the loop, reads fail with the EBUSY error
 * of that registration.
 */
public final class SmallFiles {

    private SmallFiles() {
    }

    /**
     * Reads the whole file at {@code path} (at most {@code maxBytes} bytes) into a pooled buffer,
     * positioned at 0 with its limit at the file size. One submission in the common case (see the class
     * comment for the rare short read).
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
        /** Members of the hard-linked chain. */
        private static final int OPEN = 0, READ = 1, PROBE = 2, CLOSE = 3;
        /** The file position: reads continue where the previous one stopped. */
        private static final long AT_POSITION = -1;

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
        private @Nullable ChainResult chain;
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
            PooledBuffer b = loop.bufferPool().acquire(want);
            this.buf = b;
            // The probe lands in the buffer's last byte, which the first read fills only when the file is too large.
            Op close = Op.builder(Opcode.CLOSE).fd(0).fileIndex(slot + 1).acceptedErrno(Errno.EBADF)
                    .whenKernelDone(this::chainDone).name("close").target(target).build();
            List<Op> ops = List.of(openOp(), read(b.address(), want, AT_POSITION).build(),
                    read(b.address() + want - 1, 1, AT_POSITION).build(), close);
            // Errors go straight to the caller; the close's hook, which runs last, frees the slot and the buffer.
            current.replace(loop.submitHardLinked(ops).subscribe(r -> chain = r, sink::error));
            return true;
        }

        private Op openOp() {
            NativeBlock path = NativeBlock.ofPaths(pathBytes);
            // No O_CLOEXEC: the kernel rejects it (EINVAL) for a direct descriptor, which no exec can inherit.
            return Op.builder(Opcode.OPENAT).fd(UringFiles.AT_FDCWD).addr(path.address())
                    .opFlags(UringFiles.O_RDONLY).fileIndex(slot + 1)
                    .whenKernelDone(path::free).name("openat").target(target).build();
        }

        private Op.Builder read(long address, int length, long offset) {
            return Op.builder(Opcode.READ).fd(slot).sqeFlags(Opcode.IOSQE_FIXED_FILE).addr(address).length(length)
                    .offset(offset).keepAlive(Objects.requireNonNull(buf)).name("read").target(target);
        }

        /** Loop thread, after the chain's last CQE (or after it was dropped before the kernel). */
        private void chainDone() {
            ChainResult r = chain;
            PooledBuffer b = Objects.requireNonNull(buf);
            if (r == null || cancelled) { // the chain's error, if any, went to the caller
                b.release();
                closeSlot();
                return;
            }
            // The chain's close answered 0, or EBADF after a failed open: the slot holds nothing.
            boolean slotEmpty = r.succeeded(CLOSE) || !r.succeeded(OPEN);
            int n = r.result(READ);
            @Nullable Throwable error = !r.succeeded(OPEN) ? r.error(OPEN) : !r.succeeded(READ) ? r.error(READ)
                    : n == want ? tooLarge() : r.error(PROBE);
            if (error == null && r.result(PROBE) > 0) { // a short read before EOF
                if (slotEmpty) { // start over on one open file, reading on until EOF
                    step(loop.submitLinked(List.of(openOp(), continuedReadOp())).map(c -> c.result(1)));
                    return;
                }
                error = r.error(CLOSE);
            }
            if (slotEmpty) {
                slots.release(slot);
            } else {
                closeSlot(); // the chain's close failed: try again, and hand the slot on after that one
            }
            finish(b, n, error);
        }

        private Op continuedReadOp() {
            return read(Objects.requireNonNull(buf).address() + done, want - done, done).whenKernelDone(this::readDone)
                    .build();
        }

        private void step(Mono<Integer> op) {
            result = NONE;
            // Errors go straight to the caller; the hook that follows frees the slot and the buffer.
            current.replace(op.subscribe(n -> result = n, sink::error));
        }

        /** Loop thread, after a continued read's CQE (or after it was dropped before the kernel). */
        private void readDone() {
            int n = result;
            PooledBuffer b = Objects.requireNonNull(buf);
            if (n == NONE || cancelled) {
                b.release();
                closeSlot();
                return;
            }
            done += n;
            if (n > 0 && done < want) {
                step(loop.submit(continuedReadOp())); // short again: continue on the same slot
                return;
            }
            closeSlot();
            finish(b, done, done > maxBytes ? tooLarge() : null);
        }

        private IOException tooLarge() {
            return new IOException(target + " is larger than maxBytes (" + maxBytes + ")");
        }

        /** Signals the caller: {@code b} holding {@code size} bytes, or {@code error}. */
        private void finish(PooledBuffer b, int size, @Nullable Throwable error) {
            if (error != null) {
                b.release();
                sink.error(error);
            } else {
                b.buffer().clear().limit(size);
                sink.success(b);
            }
        }

        /** Queues a close of the slot; the slot goes to the next read once it has completed. */
        private void closeSlot() {
            int s = slot;
            Op close = Op.builder(Opcode.CLOSE).fd(0).fileIndex(s + 1).acceptedErrno(Errno.EBADF)
                    .name("close").target(target).build();
            loop.submit(close).subscribe(r -> { }, e -> slots.release(s), () -> slots.release(s));
        }
    }
}
