package io.reactoruring.net;

import io.reactoruring.core.Completion;
import io.reactoruring.core.Errno;
import io.reactoruring.core.UringError;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The send side of a connection as one cold {@code Mono<Void>} per {@code send(...)} call.
 *
 * <p>The source is requested {@value #WINDOW} chunks ahead, and exactly one operation is in flight:
 * when it completes, every chunk that queued up meanwhile goes out in the next one, a single SEND
 * for one chunk, or one SENDMSG gathering up to {@value #MAX_IOV} chunks ({@value #MAX_BATCH_BYTES}
 * bytes). So a source that offers several buffers at once costs one syscall, and memory is bounded
 * by the window. A short send resumes where it stopped, in order.
 *
 * <p>Chunks of at least {@code zeroCopyThreshold} bytes go alone with IORING_OP_SEND_ZC: the kernel
 * posts the byte count (F_MORE) and later a notification (F_NOTIF) when it no longer reads the
 * memory; the chunk is released only then. At most {@value #ZC_WINDOW} bytes wait for notifications,
 * and the Mono completes only when none do, so the caller's memory is never touched after it.
 *
 * <p>Several sends on one connection take turns ({@link SendTurns}): one has an operation on the
 * socket at a time and keeps its turn while one of its buffers is partly sent, so concurrent sends
 * interleave only at buffer boundaries. SEND_ZC failing with ENOMEM (RLIMIT_MEMLOCK) is retried as
 * a plain SEND, and the connection sends without zero copy from then on.
 *
 * <p>Threading: every signal is handled on the connection's loop thread.
 */
final class OutboundWriter extends Mono<Void> {
    static final int WINDOW = 32;
    static final int MAX_IOV = 64;
    static final int MAX_BATCH_BYTES = 1024 * 1024;
    static final int ZC_WINDOW = 4 * 1024 * 1024;
    static final int MSG_NOSIGNAL = 0x4000;
    private static final Logger LOG = Loggers.getLogger(UringConnection.class);
    private static final AtomicBoolean ENOMEM_WARNED = new AtomicBoolean();
    /** Test hook: this many SEND_ZCs fail with ENOMEM as the kernel's would, without reaching it. */
    static final AtomicInteger ZERO_COPY_ENOMEM_FAULTS = new AtomicInteger();
    /**
     * Test hook: SEND/SENDMSG carry MSG_DONTWAIT, so the kernel answers a full socket with -EAGAIN
     * at once, as it does (rarely) for a send it had to retry from a worker thread.
     */
    static volatile boolean dontWaitForTests;
    /** Sends that met -EAGAIN and waited for POLLOUT, over all writers: for tests. */
    static final java.util.concurrent.atomic.AtomicLong WRITABLE_WAITS = new java.util.concurrent.atomic.AtomicLong();
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSGHDR = 56; // struct msghdr on LP64: name, namelen, iov, iovlen, control, controllen, flags

    /** A byte range to send and what keeps its memory alive; the writer owns one reference. */
    static final class Chunk {
        final long address;
        final int length;
        int sent;
        final @Nullable PooledBuffer pooled;
        final @Nullable Object keep;

        Chunk(long address, int length, @Nullable PooledBuffer pooled, @Nullable Object keep) {
            this.address = address;
            this.length = length;
            this.pooled = pooled;
            this.keep = keep;
        }

        /** A pooled buffer's remaining bytes; takes over the caller's reference. */
        static Chunk of(PooledBuffer pb) {
            ByteBuffer b = pb.buffer();
            return new Chunk(pb.address() + b.position(), b.remaining(), pb, null);
        }

        /** A direct buffer is sent in place (the caller must not modify it until the send completes); a heap one is copied. */
        static Chunk of(ByteBuffer b, UringLoop loop) {
            if (b.isDirect()) {
                return new Chunk(Native.addressOf(b) + b.position(), b.remaining(), null, b);
            }
            return copy(b.duplicate(), loop);
        }

        static Chunk copy(ByteBuffer src, UringLoop loop) {
            PooledBuffer pb = loop.bufferPool().acquire(Math.max(1, src.remaining()));
            int n = src.remaining();
            pb.buffer().clear().put(src).flip();
            return new Chunk(pb.address(), n, pb, null);
        }

        long cursor() {
            return address + sent;
        }

        int remaining() {
            return length - sent;
        }

        void retain() {
            if (pooled != null) {
                pooled.retain();
            }
        }

        void release() {
            if (pooled != null) {
                pooled.release();
            }
        }
    }

    private final UringLoop loop;
    private final SharedFd fd;
    private final String description;
    private final int zeroCopyThreshold;
    private final Publisher<Chunk> source;
    private final SendTurns turns;

    OutboundWriter(UringLoop loop, SharedFd fd, String description, int zeroCopyThreshold, SendTurns turns,
            Publisher<Chunk> source) {
        this.loop = loop;
        this.turns = turns;
        this.fd = fd;
        this.description = description;
        this.zeroCopyThreshold = zeroCopyThreshold > 0 && loop.supports(Opcode.SEND_ZC) ? zeroCopyThreshold : 0;
        this.source = source;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        source.subscribe(new Writer(actual));
    }

    /** Subscriber of the chunks and subscription of the Mono; all state is confined to the loop thread. */
    private final class Writer implements CoreSubscriber<Chunk>, Subscription {
        private final CoreSubscriber<? super Void> actual;
        private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
        private @Nullable Subscription upstream;
        private boolean started;
        private boolean upstreamDone;
        private @Nullable Throwable upstreamError;
        private boolean sending;
        private boolean finished;
        private long zcPendingBytes;
        private int zcPendingOps;
        private @Nullable Disposable inFlight;
        /** The chunks of the op in flight: the writer's references, released when sent or on failure. */
        private List<Chunk> inFlightBatch = List.of();
        /**
         * Signals from any thread, run in arrival order on the loop. A signal arriving on the loop
         * thread must not overtake one still waiting in the loop's inbox, hence this queue.
         */
        private final ConcurrentLinkedQueue<Runnable> signals = new ConcurrentLinkedQueue<>();
        private final AtomicInteger wip = new AtomicInteger();

        Writer(CoreSubscriber<? super Void> actual) {
            this.actual = actual;
        }

        @Override
        public reactor.util.context.Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        private void signal(Runnable r) {
            signals.offer(r);
            if (wip.getAndIncrement() == 0) {
                try {
                    loop.execute(this::runSignals);
                } catch (RejectedExecutionException e) {
                    runSignals(); // the loop is gone: nothing else runs; every op now fails and releases
                }
            }
        }

        private void runSignals() {
            int missed = 1;
            for (;;) {
                Runnable r;
                while ((r = signals.poll()) != null) {
                    try {
                        r.run();
                    } catch (Throwable t) {
                        fail(t); // e.g. a source whose request() throws: end the send, keep draining signals
                    }
                }
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                signal(() -> {
                    if (!started && !finished) {
                        started = true;
                        upstream().request(WINDOW);
                    }
                });
            }
        }

        @Override
        public void cancel() {
            signal(() -> {
                if (!finished) {
                    finished = true;
                    upstream().cancel();
                    dispose();
                    turns.give(this);
                }
            });
        }

        @Override
        public void onNext(Chunk chunk) {
            signal(() -> {
                if (finished) {
                    chunk.release();
                    return;
                }
                if (chunk.remaining() == 0) {
                    chunk.release();
                    if (!upstreamDone) {
                        upstream().request(1);
                    }
                    return;
                }
                queue.add(chunk);
                drain();
            });
        }

        @Override
        public void onError(Throwable t) {
            signal(() -> {
                if (finished) {
                    Operators.onErrorDropped(t, actual.currentContext());
                    return;
                }
                upstreamDone = true;
                upstreamError = t;
                drain();
            });
        }

        @Override
        public void onComplete() {
            signal(() -> {
                upstreamDone = true;
                drain();
            });
        }

        private Subscription upstream() {
            Subscription s = upstream;
            if (s == null) {
                throw new IllegalStateException("no subscription");
            }
            return s;
        }

        private void drain() {
            if (finished || sending) {
                return;
            }
            if (upstreamError != null) {
                fail(upstreamError);
                return;
            }
            if (queue.isEmpty()) {
                turns.give(this);
                if (upstreamDone && zcPendingOps == 0) {
                    finished = true;
                    actual.onComplete();
                }
                return;
            }
            Chunk head = queue.peek();
            boolean zeroCopy = zeroCopyThreshold > 0 && !turns.zeroCopyOff();
            if (zeroCopy && head.remaining() >= zeroCopyThreshold
                    && zcPendingBytes + head.remaining() > ZC_WINDOW && zcPendingOps > 0) {
                if (head.sent == 0) {
                    turns.give(this); // others may send meanwhile; a partly sent buffer keeps the turn
                }
                return; // a notification frees room and drains again
            }
            if (!turns.take(this, this::drain)) {
                return; // drains again when its turn comes
            }
            if (zeroCopy && head.remaining() >= zeroCopyThreshold) {
                queue.poll();
                sendZeroCopy(head);
                return;
            }
            List<Chunk> batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < MAX_IOV && bytes < MAX_BATCH_BYTES) {
                Chunk c = queue.peek();
                if (zeroCopy && c.remaining() >= zeroCopyThreshold && !batch.isEmpty()) {
                    break;
                }
                batch.add(queue.poll());
                bytes += c.remaining();
            }
            send(batch);
        }

        /** One SEND (a single chunk) or SENDMSG (several), with the kernel holding its own references. */
        private void send(List<Chunk> batch) {
            sending = true;
            inFlightBatch = batch;
            Op op;
            batch.forEach(Chunk::retain); // the kernel's references, dropped by the hook
            Runnable releaseKernelRefs = () -> batch.forEach(Chunk::release);
            if (batch.size() == 1) {
                Chunk c = batch.get(0);
                op = Op.builder(Opcode.SEND).fd(fd).addr(c.cursor()).length(c.remaining()).opFlags(sendFlags())
                        .acceptedErrno(Errno.EAGAIN)
                        .keepAlive(batch).whenKernelDone(releaseKernelRefs).name("send").target(description).build();
            } else {
                long size = MSGHDR + 16L * batch.size();
                long mem = NativeMemory.allocate(size, 16);
                ByteBuffer m = Native.wrap(mem, (int) size).order(ByteOrder.nativeOrder());
                long iov = mem + MSGHDR;
                m.putLong(16, iov);
                m.putLong(24, batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    Chunk c = batch.get(i);
                    m.putLong(MSGHDR + 16 * i, c.cursor());
                    m.putLong(MSGHDR + 16 * i + 8, c.remaining());
                }
                op = Op.builder(Opcode.SENDMSG).fd(fd).addr(mem).length(1).opFlags(sendFlags()).keepAlive(batch)
                        .acceptedErrno(Errno.EAGAIN)
                        .whenKernelDone(() -> {
                            NativeMemory.free(mem, size);
                            releaseKernelRefs.run();
                        })
                        .name("sendmsg").target(description).build();
            }
            inFlight = loop.submit(op).subscribe(n -> {
                if (n == 0) { // -EAGAIN, an accepted errno, arrives as 0: TCP sends no 0 bytes of a non-empty batch
                    awaitWritable(batch);
                } else {
                    sent(batch, n);
                }
            }, this::fail);
        }

        /**
         * -EAGAIN: the socket is non-blocking (see {@link SockAddr#SOCK_NONBLOCK}) and had no room, so
         * nothing was sent. io_uring normally waits for room itself, but a send it had to retry from
         * a worker thread sees the socket's O_NONBLOCK and answers -EAGAIN (seen with a peer that never
         * reads). The chunks go back to the head of the queue, this writer keeps its turn, and the
         * same bytes are sent again once a POLLOUT says there is room.
         */
        private void awaitWritable(List<Chunk> batch) {
            if (finished) {
                return;
            }
            WRITABLE_WAITS.incrementAndGet();
            inFlightBatch = List.of();
            for (int i = batch.size() - 1; i >= 0; i--) {
                queue.addFirst(batch.get(i));
            }
            Op poll = Op.builder(Opcode.POLL_ADD).fd(fd).opFlags(SockAddr.POLLOUT).name("poll").target(description).build();
            inFlight = loop.submit(poll).subscribe(events -> {
                if (!finished) {
                    sending = false;
                    inFlight = null;
                    drain();
                }
            }, this::fail);
        }

        private static int sendFlags() {
            return dontWaitForTests ? MSG_NOSIGNAL | MSG_DONTWAIT : MSG_NOSIGNAL;
        }

        /** SEND_ZC of one chunk: continue after the byte count, release after the notification. */
        private void sendZeroCopy(Chunk c) {
            sending = true;
            inFlightBatch = List.of(c);
            int len = c.remaining();
            zcPendingBytes += len;
            zcPendingOps++;
            c.retain();
            Runnable kernelDone = () -> {
                c.release();
                zcPendingBytes -= len;
                zcPendingOps--;
                drain();
            };
            Flux<Completion> cqes;
            if (ZERO_COPY_ENOMEM_FAULTS.get() > 0 && ZERO_COPY_ENOMEM_FAULTS.getAndDecrement() > 0) {
                cqes = Flux.<Completion>error(Errno.exception(-Errno.ENOMEM, "send_zc", description))
                        .doFinally(s -> kernelDone.run());
            } else {
                Op op = Op.builder(Opcode.SEND_ZC).fd(fd).addr(c.cursor()).length(len).opFlags(MSG_NOSIGNAL).keepAlive(c)
                        .whenKernelDone(kernelDone).name("send_zc").target(description).build();
                cqes = loop.submitMultishot(op);
            }
            inFlight = cqes.subscribe((Completion cqe) -> {
                if ((cqe.flags() & Opcode.IORING_CQE_F_NOTIF) == 0) {
                    sent(List.of(c), cqe.res());
                }
            }, e -> zeroCopyFailed(c, e));
        }

        /**
         * ENOMEM: pinning the pages would exceed RLIMIT_MEMLOCK; nothing was sent. The chunk goes
         * again as a plain SEND, and the connection stops using zero copy. Any other error fails.
         */
        private void zeroCopyFailed(Chunk c, Throwable e) {
            if (finished || !(e instanceof UringError u) || u.errno() != Errno.ENOMEM) {
                fail(e);
                return;
            }
            turns.turnZeroCopyOff();
            if (ENOMEM_WARNED.compareAndSet(false, true)) {
                LOG.warn("SEND_ZC failed with ENOMEM on {} (pinned pages count against RLIMIT_MEMLOCK, now {} bytes): "
                        + "sending without zero copy on this connection; raise the limit or the zeroCopyThreshold",
                        description, io.reactoruring.core.internal.Native.memlockLimit());
            } else {
                LOG.debug("SEND_ZC failed with ENOMEM on {}: sending without zero copy", description);
            }
            sending = false;
            inFlight = null;
            inFlightBatch = List.of();
            queue.addFirst(c);
            drain();
        }

        /** {@code n} bytes of {@code batch} went out: release what is done, requeue the rest in order, refill. */
        private void sent(List<Chunk> batch, int n) {
            if (finished) {
                return;
            }
            if (n <= 0) {
                fail(new IOException("send wrote 0 bytes to " + description));
                return;
            }
            sending = false;
            inFlight = null;
            inFlightBatch = List.of();
            int done = 0;
            for (int i = 0; i < batch.size(); i++) {
                Chunk c = batch.get(i);
                int take = Math.min(n, c.remaining());
                c.sent += take;
                n -= take;
                if (c.remaining() == 0) {
                    c.release();
                    done++;
                }
            }
            for (int i = batch.size() - 1; i >= 0; i--) {
                Chunk c = batch.get(i);
                if (c.remaining() > 0) {
                    queue.addFirst(c);
                }
            }
            if (queue.isEmpty() || queue.peek().sent == 0) {
                turns.give(this); // no buffer of ours is cut: another send may go next
            }
            if (done > 0 && !upstreamDone) {
                upstream().request(done);
            }
            drain();
        }

        private void fail(Throwable e) {
            if (finished) {
                return;
            }
            finished = true;
            if (!upstreamDone) {
                upstream().cancel();
            }
            dispose();
            turns.give(this);
            actual.onError(e);
        }

        /** Drops the writer's references; the kernel keeps its own until each op's final CQE. */
        private void dispose() {
            Disposable d = inFlight;
            inFlight = null;
            if (d != null) {
                d.dispose();
            }
            List<Chunk> batch = inFlightBatch;
            inFlightBatch = List.of();
            for (Chunk b : batch) {
                if (b.remaining() > 0) { // fully sent chunks were released by sent()
                    b.release();
                }
            }
            Chunk c;
            while ((c = queue.poll()) != null) {
                c.release();
            }
        }
    }
}
