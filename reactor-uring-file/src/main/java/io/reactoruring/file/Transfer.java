package io.reactoruring.file;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Reads or writes {@code len} bytes at {@code addr} / file offset {@code off}, looping on short
 * transfers (a read also stops at EOF), as one Mono.
 *
 * <p>Why the kernel ops are not cancelled: the memory belongs to the kernel until each op's CQE, and
 * core has no callback for "the CQE of an op whose subscriber left". So the chain subscribes to
 * each op itself and never cancels it; a downstream cancel only stops the chain after the current
 * op's CQE, which is when {@code abandon} runs and may safely release or reuse the memory. Regular
 * file reads and writes finish in bounded time, so this costs at most one op's latency.
 *
 * <p>Exactly one of {@code finish} (success, its value is emitted, null completes empty; if the subscriber cancelled in
 * the meantime Reactor discards it, so downstream needs a discard hook for pooled values) or
 * {@code abandon} (error or cancel) is called, always on the loop thread.
 */
final class Transfer<T> {
    private static final int RUNNING = 0;
    private static final int FINISHED = 1;
    private static final int CANCELLED = 2;

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
    private final AtomicInteger state = new AtomicInteger(RUNNING);
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
            sink.onCancel(() -> t.state.compareAndSet(RUNNING, CANCELLED));
            t.next();
        });
    }

    private void next() {
        Op op = Op.builder(write ? Opcode.WRITE : Opcode.READ)
                .fd(fd)
                .addr(addr + done)
                .length(len - done)
                .offset(off + done)
                .keepAlive(keepAlive)
                .name(write ? "write" : "read")
                .target(target)
                .build();
        // Deliberately never disposed: see the class comment.
        loop.submit(op).subscribe(this::onResult, this::onError);
    }

    private void onResult(int res) {
        if (state.get() == CANCELLED) {
            abandon.run();
            return;
        }
        if (res == 0 && write) {
            onError(new IOException("write made no progress at offset " + (off + done) + " of " + target));
            return;
        }
        done += res;
        if (res > 0 && done < len) {
            next();
            return;
        }
        if (state.compareAndSet(RUNNING, FINISHED)) {
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
        } else {
            abandon.run();
        }
    }

    private void onError(Throwable e) {
        abandon.run();
        if (state.compareAndSet(RUNNING, FINISHED)) {
            sink.error(e);
        }
    }
}
