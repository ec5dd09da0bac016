package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * The sending side of a {@link UringConnection}. Each send is a cold {@link Sending} (a
 * {@code Mono<Void>}): nothing is written before it is subscribed, and further sends chain onto it,
 * as on Reactor Netty: {@code out.sendString(a).sendFile(f, 0, n).then()}. The kernel operations and
 * the loop thread named below are io_uring's; on the NIO fallback gathering channel writes and
 * {@code FileChannel} reads play their part, and signals arrive on the fallback's threads.
 */
public interface UringOutbound {

    /**
     * The pool to take buffers from for {@link #sendPooled} (as Reactor Netty's {@code alloc()}): the
     * connection's loop's pool on io_uring, the fallback's own pool on NIO. A buffer acquired here is
     * released by {@code sendPooled} once written, or by whoever acquired it if it is never sent.
     */
    io.reactoruring.core.buffer.BufferPool alloc();

    /**
     * Writes every buffer's remaining bytes, in order (MSG_NOSIGNAL, so a closed peer gives an
     * error, not SIGPIPE), resuming after partial sends. The source is requested a bounded window
     * of buffers ahead, and the connection has one write queue and one operation in flight at a
     * time: buffers that queued up while it ran (from this send or others on the connection) go
     * out together in one SENDMSG (gather write), a lone buffer in one SEND, and with a
     * {@code zeroCopyThreshold} buffers at least that large go with SEND_ZC (see
     * {@link UringTcpServer#zeroCopyThreshold(int)}). The buffers' positions are not changed; a
     * buffer must not be modified until the returned Mono completes. Heap buffers are copied to
     * native memory first; direct buffers are sent in place.
     *
     * <p>Completes on the connection's loop thread when everything is written; errors with a
     * {@link java.net.SocketException} when the peer is gone. Cancelling cancels the in-flight send.
     */
    Sending send(Publisher<? extends ByteBuffer> data);

    /**
     * Like {@link #send}, for pooled buffers (such as those from {@link UringInbound#receive()}):
     * takes ownership of each buffer it is given (one reference: one you acquired or retained, or
     * the one {@link UringInbound#receive()} is lending as it hands the buffer over) and releases it once written, or
     * when the send fails or is cancelled (for a send in flight, after the kernel's final
     * completion).
     */
    Sending sendPooled(Publisher<PooledBuffer> data);

    /** {@link #send} of each string's UTF-8 bytes. */
    Sending sendString(Publisher<String> data);

    /** {@link #send} of each array's bytes (copied when emitted, so the arrays may be reused afterwards). */
    Sending sendByteArray(Publisher<byte[]> data);

    /**
     * Sends {@code count} bytes of {@code file} from {@code position}: opened with IORING_OP_OPENAT
     * when subscribed and moved with IORING_OP_SPLICE (file → pipe → socket, no copy through user
     * space), or read into pooled buffers and sent where the kernel has no SPLICE. Errors with
     * {@link java.nio.file.NoSuchFileException} etc. from the open, or {@link java.io.EOFException}
     * when {@code position + count} exceeds the file's size (checked before any byte is sent). The
     * file and pipe fds are closed when it ends, whatever the signal. Rejects a negative position
     * or count with {@link IllegalArgumentException} before the kernel. Completes on the loop thread.
     */
    Sending sendFile(java.nio.file.Path file, long position, long count);

    /**
     * Sends {@code count} bytes from {@code position} of a file the caller already has open on
     * io_uring (for instance {@code UringFile.sharedFd()} of reactor-uring-file, on any loop): like
     * {@link #sendFile(java.nio.file.Path, long, long)} but without opening, sizing and closing the
     * file again (three ring operations fewer). Each operation holds a reference to the fd while it
     * runs, so closing the file waits for it; the caller still owns and closes it. Because nothing
     * sizes the file first, one shorter than {@code position + count} fails with
     * {@link java.io.EOFException} when its end is reached, after the bytes before it were sent.
     * Fails with {@link java.nio.channels.ClosedChannelException} if the file is closing, and with
     * {@link UnsupportedOperationException} on the NIO fallback (send by path there). Rejects a
     * negative position or count with {@link IllegalArgumentException} before the kernel.
     */
    Sending sendFile(io.reactoruring.core.SharedFd file, long position, long count);

    /**
     * shutdown(SHUT_WR): the peer sees end of stream once everything sent has arrived; receiving
     * keeps working. Completes on the loop thread.
     */
    Mono<Void> shutdownOutput();
}
