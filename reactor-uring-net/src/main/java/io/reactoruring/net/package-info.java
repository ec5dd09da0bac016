/**
 * TCP on io_uring: {@link io.reactoruring.net.UringTcpServer} (multishot accept),
 * {@link io.reactoruring.net.UringTcpClient} (IORING_OP_CONNECT) and
 * {@link io.reactoruring.net.UringConnection} (multishot RECV over a provided-buffer ring, SEND /
 * SENDMSG / SEND_ZC, SPLICE for files, SHUTDOWN).
 *
 * <p>Every publisher here is cold, and its signals arrive on the io_uring loop thread that owns the
 * socket: keep downstream work short, or {@code publishOn} another scheduler. Cancelling an
 * operation cancels it in the kernel (IORING_OP_ASYNC_CANCEL); memory the kernel may still touch
 * is only reused after the operation's final completion.
 *
 * <p>Where io_uring is unavailable (see {@link io.reactoruring.core.Uring#unavailabilityCause()})
 * the same API runs on {@link java.nio.channels.AsynchronousSocketChannel}, after one warning;
 * signals then arrive on the fallback's own non-blocking threads.
 */
@NullMarked
package io.reactoruring.net;

import org.jspecify.annotations.NullMarked;
