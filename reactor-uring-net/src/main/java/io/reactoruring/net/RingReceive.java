package io.reactoruring.net;

import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringError;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * {@link UringInbound#receive()} as one multishot IORING_OP_RECV over a provided-buffer ring
 * registered for the subscription: the kernel picks a ring buffer for each chunk it receives, and
 * the buffer goes back to the ring only when the subscriber releases it.
 *
 * <p>Bounded memory: at most {@code entries} buffers are out of the ring. When the subscriber holds
 * all of them the kernel ends the recv with {@code -ENOBUFS} (counted as an exhaustion in the loop's
 * metrics); the socket's receive queue then fills and the peer's sends block. The recv is re-armed
 * once a buffer is released and there is demand. Without demand the recv is paused in the kernel
 * once the prefetch (one ring's worth of buffers) is used up.
 */
final class RingReceive {
    private static final Logger LOG = Loggers.getLogger(RingReceive.class);

    private RingReceive() {
    }

    static Flux<PooledBuffer> receive(UringLoop loop, SharedFd fd, String description, int entries, int bufferSize,
            Supplier<Flux<PooledBuffer>> fallback) {
        return receive(loop.registerBufferRing(entries, bufferSize), loop, fd, description, entries, fallback);
    }

    /** {@link #receive} over the ring {@code registration} emits, or {@code fallback} if the kernel refuses it. */
    static Flux<PooledBuffer> receive(Mono<BufferRing> registration, UringLoop loop, SharedFd fd, String description,
            int entries, Supplier<Flux<PooledBuffer>> fallback) {
        return registration
                .doOnDiscard(BufferRing.class, BufferRing::close) // registered after the subscriber left
                .<Flux<PooledBuffer>>map(ring -> Flux.using(() -> ring, r -> sessions(loop, fd, description, r),
                                BufferRing::close)
                        .limitRate(entries)
                        // Buffers prefetched by limitRate but never delivered (cancel, error) go back to the ring.
                        .doOnDiscard(PooledBuffer.class, PooledBuffer::release))
                .onErrorResume(e -> e instanceof UringError, e -> {
                    // e.g. EINVAL before Linux 5.19, or ENOMEM under RLIMIT_MEMLOCK: plain RECVs still work.
                    LOG.debug("no provided-buffer ring for {} ({}); receiving with single RECVs", description, e.toString());
                    return Mono.just(fallback.get());
                })
                .flatMapMany(f -> f);
    }

    /** Multishot recvs, one after the other, until end of stream; each waits for a free ring buffer. */
    private static Flux<PooledBuffer> sessions(UringLoop loop, SharedFd fd, String description, BufferRing ring) {
        AtomicBoolean endOfStream = new AtomicBoolean();
        return Flux.defer(() -> ring.available() > 0
                        ? session(loop, fd, description, ring, endOfStream)
                        : ring.whenAvailable().thenMany(Flux.defer(() -> session(loop, fd, description, ring, endOfStream))))
                .repeat(() -> !endOfStream.get());
    }

    private static Flux<PooledBuffer> session(UringLoop loop, SharedFd fd, String description, BufferRing ring,
            AtomicBoolean endOfStream) {
        ring.retain(); // the op's reference: the kernel may pick buffers until its terminal CQE
        Op recv = Op.builder(Opcode.RECV).fd(fd)
                .ioprio(Opcode.IORING_RECV_MULTISHOT)
                .sqeFlags(Opcode.IOSQE_BUFFER_SELECT).bufIndex(ring.groupId())
                .acceptedErrno(Errno.ENOBUFS)
                .whenKernelDone(ring::release)
                .name("recv").target(description).build();
        return loop.submitMultishot(recv).handle((c, sink) -> {
            int id = c.bufferId();
            if (c.res() > 0 && id >= 0) {
                sink.next(ring.take(id, c.res()));
                return;
            }
            if (id >= 0) {
                ring.take(id, 0).release(); // a buffer that carries no data goes straight back
            }
            if (c.res() == 0) {
                endOfStream.set(true);
                sink.complete();
            } else if (c.res() == -Errno.ENOBUFS) {
                // This CQE ends the recv; sessions() re-arms it once a buffer is back in the ring.
                ring.recordExhausted();
            }
        });
    }
}
