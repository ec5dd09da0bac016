package io.reactoruring.net;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * A connection on the NIO fallback: an {@link AsynchronousSocketChannel} of
 * {@link Transport#nioGroup()}, whose threads deliver every signal.
 *
 * <p>Receiving: one read into a pooled buffer per requested buffer, as plain RECVs do on io_uring.
 * A read cannot be withdrawn from the channel, so one that completes after its subscriber left is
 * kept and delivered first to the next subscriber: nothing received is lost, and its buffer is
 * released only by whoever receives it.
 *
 * <p>Sending: the connection's {@link WriteQueue}, as on io_uring, over gathering channel writes.
 */
final class NioConnectionIo implements ConnectionIo {
    /** End of stream as a read's result (the others are a PooledBuffer or a Throwable). */
    private static final Object EOF = new Object();

    private final AsynchronousSocketChannel channel;
    private final String description;
    private final int receiveBufferSize;

    // Receive state, guarded by this.
    private @Nullable FluxSink<PooledBuffer> receiver;
    private boolean busy;
    /** A read that completed with nobody to take it: a PooledBuffer, EOF or a Throwable. */
    private @Nullable Object kept;
    /** EOF or the failure, once delivered: later subscribers get it at once. */
    private @Nullable Object ended;

    private final WriteQueue writeQueue = new WriteQueue(new ChannelWrites());

    /** Reads and writes the channel holds (and the buffers they own), guarded by this. */
    private int channelOps;
    private boolean closing;
    private final Sinks.Empty<Void> closed = Sinks.empty();

    NioConnectionIo(AsynchronousSocketChannel channel, String description, ConnectionSettings settings) {
        this.channel = channel;
        this.description = description;
        this.receiveBufferSize = settings.receiveBufferSize();
    }

    @Override
    public boolean isUring() {
        return false;
    }

    AsynchronousSocketChannel channel() {
        return channel;
    }

    /** True while a completed read waits for a subscriber (tests). */
    synchronized boolean holdsUnclaimedRead() {
        return kept != null;
    }

    @Override
    public UringLoop loop() {
        throw new UnsupportedOperationException(description + " runs on the NIO fallback (io_uring unavailable), "
                + "not on an io_uring loop");
    }

    @Override
    public BufferPool bufferPool() {
        return Transport.NIO_POOL;
    }

    @Override
    public void execute(Runnable task) {
        task.run(); // already on a fallback thread: the accept completion
    }

    // ---------------------------------------------------------------- receive

    @Override
    public Flux<PooledBuffer> receive() {
        return Flux.<PooledBuffer>create(sink -> {
            synchronized (this) {
                receiver = sink;
            }
            sink.onRequest(n -> pump());
            sink.onDispose(() -> {
                synchronized (this) {
                    if (receiver == sink) {
                        receiver = null;
                    }
                }
            });
        }).doOnDiscard(PooledBuffer.class, PooledBuffer::releaseDropped); // emitted as the subscriber cancelled
        // (releaseDropped: a sendPooled downstream has its own discard hook, and Reactor runs both)
    }

    /**
     * Delivers what is kept, or starts a read, while the receiver has demand. {@code busy} (a read
     * in flight, or a delivery in progress) keeps deliveries in order and one at a time.
     */
    private void pump() {
        for (;;) {
            FluxSink<PooledBuffer> sink;
            Object result;
            synchronized (this) {
                sink = receiver;
                if (sink == null || busy || !wants(sink)) {
                    return;
                }
                busy = true;
                if (ended != null) {
                    result = ended;
                } else if (kept != null) {
                    result = kept;
                    kept = null;
                } else {
                    result = null;
                }
            }
            if (result == null) {
                read(); // busy until readEnded
                return;
            }
            boolean more = deliver(sink, result);
            synchronized (this) {
                busy = false;
            }
            if (!more) {
                return;
            }
        }
    }

    private static boolean wants(FluxSink<PooledBuffer> sink) {
        return !sink.isCancelled() && sink.requestedFromDownstream() > 0;
    }

    private void read() {
        PooledBuffer pb = Transport.NIO_POOL.acquire(receiveBufferSize);
        ByteBuffer b = pb.buffer().clear().limit(receiveBufferSize);
        opStarted();
        try {
            channel.read(b, pb, readDone);
        } catch (RuntimeException e) { // e.g. ShutdownChannelGroupException
            readDone.failed(e, pb);
        }
    }

    /** The channel owns the buffer until one of these runs. */
    private final CompletionHandler<Integer, PooledBuffer> readDone = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, PooledBuffer pb) {
            Object result;
            if (n < 0) {
                pb.release();
                result = EOF;
            } else {
                pb.buffer().flip();
                result = pb;
            }
            readEnded(result);
            opEnded(); // after the buffer found its owner, so close() completes with nothing left out
        }

        @Override
        public void failed(Throwable t, PooledBuffer pb) {
            pb.release();
            // Closed by dispose() while reading: the end of the stream, as on io_uring.
            readEnded(t instanceof AsynchronousCloseException ? EOF : Transport.nioError(t, "recv", description));
            opEnded();
        }
    };

    private void readEnded(Object result) {
        FluxSink<PooledBuffer> sink;
        Object dropped = null;
        synchronized (this) {
            sink = receiver;
            if (sink == null || !wants(sink)) {
                busy = false;
                if (closing) {
                    dropped = result; // close() has run: nobody will come back for it
                } else {
                    kept = result;
                }
                sink = null;
            }
        }
        if (sink == null) {
            if (dropped instanceof PooledBuffer pb) {
                pb.release();
            }
            return;
        }
        boolean more = deliver(sink, result);
        synchronized (this) {
            busy = false;
        }
        if (more) {
            pump();
        }
    }

    /** Signals {@code result}; false once the stream has ended. */
    private boolean deliver(FluxSink<PooledBuffer> sink, Object result) {
        if (result instanceof PooledBuffer pb) {
            sink.next(pb);
            return true;
        }
        synchronized (this) {
            ended = result;
        }
        if (sink.isCancelled()) {
            return false; // the subscriber left (e.g. its send failed and cancelled it): nobody to tell
        }
        if (result instanceof Throwable t) {
            sink.error(t);
        } else {
            sink.complete();
        }
        return false;
    }

    // ---------------------------------------------------------------- send

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuffer> data) {
        return writeQueue.send(data, b -> WriteQueue.Chunk.inPlace(b, 0)); // the channel copies a heap buffer itself
    }

    @Override
    public Mono<Void> sendPooled(Publisher<PooledBuffer> data) {
        return writeQueue.sendPooled(data);
    }

    /**
     * The NIO side of the connection's {@link WriteQueue}: one gathering channel write per write
     * (the channel waits for room itself). A started channel write cannot be withdrawn.
     */
    private final class ChannelWrites implements WriteQueue.Transport {
        @Override
        public boolean inIoThread() {
            return true; // any thread may write to the channel
        }

        @Override
        public void execute(Runnable task) {
            task.run();
        }

        @Override
        public boolean alone(WriteQueue.Chunk c) {
            return false;
        }

        @Override
        public @Nullable Disposable write(List<WriteQueue.Chunk> batch, WriteQueue.Write w) {
            ByteBuffer[] buffers = new ByteBuffer[batch.size()];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = batch.get(i).view();
            }
            opStarted();
            try {
                channel.write(buffers, 0, buffers.length, 0L, java.util.concurrent.TimeUnit.MILLISECONDS, w, writeDone);
            } catch (RuntimeException e) { // e.g. ShutdownChannelGroupException
                writeDone.failed(e, w);
            }
            return null;
        }
    }

    private final CompletionHandler<Long, WriteQueue.Write> writeDone = new CompletionHandler<>() {
        @Override
        public void completed(Long n, WriteQueue.Write w) {
            w.written(n);
            w.kernelDone();
            opEnded();
        }

        @Override
        public void failed(Throwable t, WriteQueue.Write w) {
            w.failed(Transport.nioError(t, "send", description));
            w.kernelDone();
            opEnded();
        }
    };

    // ---------------------------------------------------------------- files, shutdown, close

    /** The file read into pooled buffers (on {@code boundedElastic}, as reads block) and sent. */
    @Override
    public Mono<Void> sendFile(Path file, long position, long count) {
        String target = file.toString();
        return Mono.usingWhen(Mono.fromCallable(() -> FileChannel.open(file, StandardOpenOption.READ)),
                        ch -> {
                            try {
                                long size = ch.size();
                                if (position + count > size) {
                                    return Mono.error(new EOFException(target + ": cannot send " + count
                                            + " bytes from position " + position + ", the file has " + size));
                                }
                            } catch (IOException e) {
                                return Mono.error(e);
                            }
                            return sendPooled(chunks(ch, position, count, target));
                        },
                        NioConnectionIo::close, (ch, e) -> close(ch), NioConnectionIo::close)
                .subscribeOn(Schedulers.boundedElastic());
    }

    /** An io_uring fd cannot meet a NIO connection through the public API: both follow {@code Uring.isAvailable()}. */
    @Override
    public Mono<Void> sendFile(io.reactoruring.core.SharedFd file, long position, long count) {
        return Mono.error(new UnsupportedOperationException(description + " runs on the NIO fallback; "
                + file + " is an io_uring file: send it by path"));
    }

    private static Flux<PooledBuffer> chunks(FileChannel ch, long position, long count, String target) {
        return Flux.<PooledBuffer, Long>generate(() -> position, (at, sink) -> {
            long left = position + count - at;
            if (left == 0) {
                sink.complete();
                return at;
            }
            int len = (int) Math.min(FileSender.CHUNK, left);
            PooledBuffer pb = Transport.NIO_POOL.acquire(len);
            ByteBuffer b = pb.buffer().clear().limit(len);
            try {
                while (b.hasRemaining()) {
                    if (ch.read(b, at + b.position()) < 0) {
                        throw new EOFException(target + " ended at " + (at + b.position()) + " while sending");
                    }
                }
            } catch (IOException e) {
                pb.release();
                sink.error(e);
                return at;
            }
            pb.buffer().flip();
            sink.next(pb);
            return at + len;
        });
    }

    private static Mono<Void> close(FileChannel ch) {
        return Mono.fromRunnable(() -> {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only: nothing was lost
            }
        });
    }

    @Override
    public Mono<Void> shutdownOutput() {
        return Mono.fromCallable(() -> {
            try {
                channel.shutdownOutput();
            } catch (IOException e) {
                throw (Exception) Transport.nioError(e, "shutdown", description);
            }
            return null;
        }).then();
    }

    /**
     * close(2) through the channel: a read or write in progress fails with AsynchronousCloseException.
     * Completes once those have ended and released their buffers, as io_uring's close waits for the
     * ops in flight.
     */
    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            try {
                channel.close();
            } catch (IOException e) {
                return Mono.error(e);
            }
            boolean idle;
            Object unclaimed;
            synchronized (this) {
                closing = true;
                idle = channelOps == 0;
                unclaimed = kept;
                kept = null;
            }
            if (unclaimed instanceof PooledBuffer pb) {
                pb.release(); // received after its subscriber left, and nobody came back for it
            }
            if (idle) {
                closed.tryEmitEmpty();
            }
            return closed.asMono();
        });
    }

    private synchronized void opStarted() {
        channelOps++;
    }

    /** After the op released its buffers. */
    private void opEnded() {
        boolean idle;
        synchronized (this) {
            idle = --channelOps == 0 && closing;
        }
        if (idle) {
            closed.tryEmitEmpty();
        }
    }
}
