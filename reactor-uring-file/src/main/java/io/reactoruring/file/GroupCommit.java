package io.reactoruring.file;

import io.reactoruring.core.ChainResult;
import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.Transfers;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Group commit: many writes, one durability barrier. {@code writeAndSync(file, 256 small appends)}
 * costs one fsync instead of 256, which is where a write-ahead log spends its time.
 *
 * <p><b>Mechanism.</b> The writes (adjacent ones merged into one SQE) and the fsync are submitted
 * as one kernel-linked chain ({@link UringLoop#submitLinked}, IOSQE_IO_LINK): the kernel runs them
 * in order in one submission, starts the fsync only after every write succeeded, and cancels the
 * rest of the chain when a write fails. IOSQE_IO_DRAIN on the fsync was rejected: a drain waits for
 * <em>every</em> op submitted earlier on the ring, so on a loop shared with sockets an fsync would
 * wait for an unrelated pending recv. A chain must fit in the submission queue, so at most
 * {@value #CHAIN_LIMIT} SQEs go in one chain; longer batches run as consecutive chains, the last one
 * ending with the fsync. A short write also breaks a chain (the kernel cancels the rest): that chain's
 * writes are then redone one by one, continuing short writes, followed by its fsync; positional
 * writes are idempotent, so redoing a write that already landed is harmless.
 *
 * <p><b>Results.</b> The Mono emits the number of bytes written only after the fsync succeeded;
 * nothing is reported durable that is not. If a write fails, the Mono errors with the exception for
 * its errno ({@link io.reactoruring.core.UringError}) whose target names the file and the offset of
 * the failed write; later writes and the fsync do not run. File content in the batch's ranges is then
 * unspecified.
 *
 * <p><b>Ownership and threads.</b> The writes' bytes are copied into one pooled native buffer at
 * subscription, so the caller's buffers (heap or direct) are not retained and their positions do
 * not change. The copy is freed once the kernel is done with it, also after a cancel. Signals arrive
 * on the file's loop thread. For a file opened without io_uring (no {@code SharedFd}), the same
 * contract is met through {@link UringFile#write} and {@link UringFile#fsync()}.
 */
public final class GroupCommit {
    /** Most SQEs in one linked chain: fits any submission queue of 32 entries or more. */
    static final int CHAIN_LIMIT = 32;

    private GroupCommit() {
    }

    /**
     * One positional write: the remaining bytes of {@code data} at file {@code offset}. The
     * constructor throws {@link IllegalArgumentException} if {@code offset < 0} or the range overflows.
     */
    public record Write(long offset, ByteBuffer data) {
        /**
         * Validates the write; {@code data} is not copied here (its bytes are copied when the commit is subscribed).
         */
        public Write {
            Objects.requireNonNull(data, "data");
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, was " + offset);
            }
            if (offset > Long.MAX_VALUE - data.remaining()) {
                throw new IllegalArgumentException("offset + length overflows: " + offset + " + " + data.remaining());
            }
        }
    }

    /**
     * Writes every {@code writes} element, then fsync(2) (data and metadata); emits the byte count
     * once the fsync succeeded. Cold: nothing happens before subscription.
     *
     * @throws IllegalArgumentException if {@code writes} is empty or holds more than 2 GiB - 1 in total
     * @throws NonWritableChannelException if the file was not opened for writing
     */
    public static Mono<Long> writeAndSync(UringFile file, List<Write> writes) {
        return commit(file, writes, false);
    }

    /** {@link #writeAndSync} with fdatasync(2) as the barrier (data, and the size if it grew). */
    public static Mono<Long> writeAndDataSync(UringFile file, List<Write> writes) {
        return commit(file, writes, true);
    }

    private static Mono<Long> commit(UringFile file, List<Write> writes, boolean dataOnly) {
        Objects.requireNonNull(file, "file");
        List<Write> batch = List.copyOf(Objects.requireNonNull(writes, "writes"));
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("no writes to commit");
        }
        long total = 0;
        for (Write w : batch) {
            total += w.data().remaining();
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch holds at most 2 GiB - 1 bytes, was " + total);
        }
        if (!file.isWritable()) {
            throw new NonWritableChannelException();
        }
        int bytes = (int) total;
        return Mono.usingWhen(
                Mono.fromSupplier(() -> stage(file, batch, bytes)),
                staged -> new Batch(file, staged, dataOnly).run().thenReturn((long) bytes),
                staged -> Mono.fromRunnable(staged::release));
    }

    /**
     * The writes' bytes back to back, adjacent writes merged into runs. io_uring: in a pooled buffer,
     * freed once the kernel is done with it. NIO: in a GC-owned buffer, because a started NIO write
     * runs to its end even after a cancel and must never read memory handed to someone else.
     */
    private static Staged stage(UringFile file, List<Write> writes, int bytes) {
        PooledBuffer pooled = file.isUring() ? file.bufferPool().acquire(Math.max(1, bytes)) : null;
        ByteBuffer dst = pooled != null ? pooled.buffer().clear() : ByteBuffer.allocateDirect(bytes);
        List<Run> runs = new ArrayList<>();
        for (Write w : writes) {
            int len = w.data().remaining();
            if (len == 0) {
                continue;
            }
            int at = dst.position();
            dst.put(w.data().duplicate());
            Run last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last.offset + last.length == w.offset() && last.at + last.length == at) {
                runs.set(runs.size() - 1, new Run(last.offset, last.at, last.length + len));
            } else {
                runs.add(new Run(w.offset(), at, len));
            }
        }
        return new Staged(pooled, dst, runs);
    }

    /** {@code length} bytes at {@code at} in the staging buffer go to file {@code offset}. */
    private record Run(long offset, int at, int length) {
    }

    private record Staged(@Nullable PooledBuffer pooled, ByteBuffer bytes, List<Run> runs) {
        void release() {
            if (pooled != null) {
                pooled.release();
            }
        }
    }

    /** One subscription's commit: consecutive linked chains, the last one ending with the barrier. */
    private static final class Batch {
        private final UringFile file;
        private final Staged staged;
        private final List<Run> runs;
        private final boolean dataOnly;
        private final String path;

        Batch(UringFile file, Staged staged, boolean dataOnly) {
            this.file = file;
            this.staged = staged;
            this.runs = staged.runs;
            this.dataOnly = dataOnly;
            this.path = file.path().toString();
        }

        Mono<Void> run() {
            SharedFd fd = file.ringFd();
            if (fd == null) {
                return writeOneByOne(null, runs).then(barrierThroughFile());
            }
            // A chain of CHAIN_LIMIT writes leaves no room for the barrier, so it gets a chain of its own.
            List<Mono<Void>> chains = new ArrayList<>();
            int from = 0;
            for (; runs.size() - from >= CHAIN_LIMIT; from += CHAIN_LIMIT) {
                chains.add(chain(fd, runs.subList(from, from + CHAIN_LIMIT), false));
            }
            chains.add(chain(fd, runs.subList(from, runs.size()), true));
            return Flux.concat(chains).then();
        }

        private Mono<Void> chain(SharedFd fd, List<Run> part, boolean withBarrier) {
            return Mono.defer(() -> {
                PooledBuffer buf = pooled();
                List<Op> ops = new ArrayList<>(part.size() + 1);
                for (Run r : part) {
                    ops.add(Op.builder(Opcode.WRITE).fd(fd).addr(buf.address() + r.at).length(r.length)
                            .offset(r.offset).name("write").target(target(r.offset)).build());
                }
                if (withBarrier) {
                    ops.add(barrier(fd));
                }
                // The chain holds its own reference, released by the hook once the kernel is done with
                // every op of the chain (also after a cancel).
                List<Op> hooked = hookLast(ops, buf::release);
                buf.retain();
                Mono<ChainResult> submitted;
                try {
                    submitted = file.loop().submitLinked(hooked);
                } catch (RuntimeException e) {
                    buf.release();
                    throw e;
                }
                return submitted
                        .then()
                        .onErrorResume(GroupCommit::brokenByShortWrite, e -> redo(fd, part, withBarrier));
            });
        }

        /** A chain broken by a short write: its writes one by one (continuing short ones), then the barrier. */
        private Mono<Void> redo(SharedFd fd, List<Run> part, boolean withBarrier) {
            Mono<Void> writes = writeOneByOne(fd, part);
            if (!withBarrier) {
                return writes;
            }
            return writes.then(Mono.defer(() -> file.loop().submit(barrier(fd)).then()));
        }

        /** IORING_OP_FSYNC, with IORING_FSYNC_DATASYNC for fdatasync. */
        private Op barrier(SharedFd fd) {
            return Op.builder(Opcode.FSYNC).fd(fd).opFlags(dataOnly ? UringFile.IORING_FSYNC_DATASYNC : 0)
                    .name(dataOnly ? "fdatasync" : "fsync").target(path).build();
        }

        /** Writes {@code part} in order; through io_uring ops when {@code fd} is set, else through {@link UringFile#write}. */
        private Mono<Void> writeOneByOne(@Nullable SharedFd fd, List<Run> part) {
            return Flux.fromIterable(part).concatMap(r -> fd != null ? writeRun(fd, r) : writeRunThroughFile(r)).then();
        }

        private Mono<Integer> writeRun(SharedFd fd, Run r) {
            return Mono.defer(() -> {
                PooledBuffer buf = pooled();
                buf.retain();
                return Transfers.fully(file.loop(), fd, true, buf.address() + r.at, r.length, r.offset, buf,
                        target(r.offset), n -> {
                            buf.release();
                            return n;
                        }, buf::release);
            });
        }

        private Mono<Void> writeRunThroughFile(Run r) {
            ByteBuffer src = staged.bytes.duplicate().limit(r.at + r.length).position(r.at);
            return Mono.defer(() -> file.write(src, r.offset + (src.position() - r.at)))
                    .<Integer>handle((n, sink) -> {
                        if (n == 0) {
                            sink.error(new IOException("write made no progress at offset "
                                    + (r.offset + src.position() - r.at) + " of " + path));
                        } else {
                            sink.next(n);
                        }
                    })
                    .repeat(src::hasRemaining)
                    .then()
                    .onErrorMap(IOException.class, e -> new IOException(
                            "write at offset " + r.offset + " of " + path + " failed: " + e.getMessage(), e));
        }

        /** The staging memory on the io_uring path. */
        private PooledBuffer pooled() {
            return Objects.requireNonNull(staged.pooled, "io_uring path without pooled staging");
        }

        private Mono<Void> barrierThroughFile() {
            return dataOnly ? file.fdatasync() : file.fsync();
        }

        private String target(long offset) {
            return path + " at offset " + offset;
        }
    }

    /** A copy of {@code ops} whose last op runs {@code release} once the kernel is done with the whole chain. */
    private static List<Op> hookLast(List<Op> ops, Runnable release) {
        List<Op> copy = new ArrayList<>(ops);
        int last = copy.size() - 1;
        copy.set(last, copy.get(last).toBuilder().whenKernelDone(release).build());
        return copy;
    }

    /** The kernel cancelled the rest of a chain after a short write: no op reported an error of its own. */
    private static boolean brokenByShortWrite(Throwable e) {
        return Errno.errnoOf(e) == Errno.ECANCELED;
    }
}
