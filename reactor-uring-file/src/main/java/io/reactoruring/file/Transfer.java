package io.reactoruring.file;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Reads or writes {@code len} bytes at {@code addr} / file offset {@code off}, looping on short
 * transfers (a read also stops at EOF), as one Mono.
 *
 * <p>The memory belongs to the kernel until each op is done with it, which core reports through
 * {@code Op.Builder.whenKernelDone}. So a downstream cancel simply cancels the current op
 * (IORING_OP_ASYNC_CANCEL if it is in the kernel) and submits no further op; the last op's hook,
 * which runs after its terminal CQE or when it was dropped before reaching the kernel, is where
 * {@code abandon} releases the memory.
 *
 * <p>Exactly one of {@code finish} (success, its value is emitted, null completes empty; if the
 * subscriber cancelled in the meantime Reactor discards it, so downstream needs a discard hook for
 * pooled values) or {@code abandon} (error or cancel, once the kernel is done with the memory) is
 * called, always on the loop thread.
 */
final class Transfer<T> {
    private final UringLoop loop;
    private final SharedFd fd;
    private final boolean write;
    private final long addr;
    private final int len;
    private final long off;
    private final Object keepAlive;
    private final String target;
    private final IntFunction<@Nullable T> finish;
    private final Runnable abandon;
    private final MonoSink<T> sink;
    /** The current op's subscription; disposed by a downstream cancel. */
    private final Disposable.Swap current = Disposables.swap();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** Number of the latest op submitted: only that op's hook may abandon. */
    private volatile int ops;
    /** Set (on the loop thread) once {@code finish} owns the memory. */
    private boolean finished;
    private int done;

    private Transfer(UringLoop loop, SharedFd fd, boolean write, long addr, int len, long off, Object keepAlive,
            String target, IntFunction<@Nullable T> finish, Runnable abandon, MonoSink<T> sink) {
        this.loop = loop;
        this.fd = fd;
        this.write = write;
        this.addr = addr;
        this.len = len;
        this.off = off;
        this.keepAlive = keepAlive;
        this.target = target;
        this.finish = finish;
        this.abandon = abandon;
        this.sink = sink;
    }

    static <T> Mono<T> fully(UringLoop loop, SharedFd fd, boolean write, long addr, int len, long off, Object keepAlive,
            String target, IntFunction<@Nullable T> finish, Runnable abandon) {
        return Mono.create(sink -> {
            Transfer<T> t = new Transfer<>(loop, fd, write, addr, len, off, keepAlive, target, finish, abandon, sink);
            sink.onCancel(() -> {
                t.cancelled.set(true);
                t.current.dispose();
            });
            t.next();
        });
    }

    private void next() {
        int n = ++ops; // single writer: the subscribing thread, then the loop thread from onResult
        Op op = Op.builder(write ? Opcode.WRITE : Opcode.READ)
                .fd(fd)
                .addr(addr + done)
                .length(len - done)
                .offset(off + done)
                .keepAlive(keepAlive)
                .whenKernelDone(() -> kernelDone(n))
                .name(write ? "write" : "read")
                .target(target)
                .build();
        // If the transfer was cancelled meanwhile, replace disposes the new subscription at once.
        current.replace(loop.submit(op).subscribe(this::onResult, sink::error));
    }

    /** Runs after the op's signal; an op followed by another, or whose memory went to finish, is not the last. */
    private void kernelDone(int n) {
        if (n == ops && !finished) {
            abandon.run();
        }
    }

    private void onResult(int res) {
        if (cancelled.get()) {
            return; // the hook abandons
        }
        if (res == 0 && write) {
            sink.error(new IOException("write made no progress at offset " + (off + done) + " of " + target));
            return;
        }
        done += res;
        if (res > 0 && done < len) {
            next();
            return;
        }
        finished = true;
        @Nullable T value;
        try {
            value = finish.apply(done);
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        if (value == null) {
            sink.success();
        } else {
            sink.success(value);
        }
    }
}
