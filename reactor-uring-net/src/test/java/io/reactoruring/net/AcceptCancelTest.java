package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.Completion;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import io.reactoruring.core.testing.Fds;
import io.reactoruring.core.testing.Poll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;

/**
 * A multishot ACCEPT whose subscriber leaves while accepted sockets wait for it closes them.
 *
 * <p>The server's accept Flux has unbounded demand, yet a socket can wait there: the server's
 * dispose cancels the accept from another thread, and a CQE the loop is dispatching at that moment
 * has passed the op's "cancelled?" check but not yet reached the subscriber. It used to be dropped
 * with its fd open (ConnectCancelTest's dispose race: one server-side socket left in CLOSE_WAIT).
 * Here the same state is made certain with bounded demand: the kernel accepts three queued
 * connections in one go, the subscriber asked for one, so two wait in the op when it cancels.
 */
class AcceptCancelTest {
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("accept-cancel-test", 1);

    /** Three queued connections, a multishot ACCEPT on {@code loop} whose subscriber asked for one. */
    private record Paused(int port, SharedFd listening, List<Socket> clients, List<Integer> delivered,
                          List<Throwable> errors, BaseSubscriber<Completion> subscriber) {
        /** Closes the delivered socket and the clients; then no socket on the port may be left. */
        void closeOursAndAwaitNoSocket() throws Exception {
            assertThat(Native.close(delivered.get(0))).as("the delivered socket is ours").isZero();
            for (Socket c : clients) {
                c.close();
            }
            assertThat(Poll.until(() -> Fds.tcpSocketsOnPort(port) == 0))
                    .as("the two accepted sockets nobody received are closed; left: %s", Fds.describeTcpSocketsOnPort(port))
                    .isTrue();
        }
    }

    /** Accepts three connections in one go and delivers one: two wait in the op for demand. */
    private static Paused pausedWithTwoWaiting(UringLoop loop) throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        int fd = SockAddr.socket(any, "accept-cancel-test");
        try (SockAddr sa = SockAddr.encode(any)) {
            assertThat(Native.bind(fd, sa.address, sa.length)).isZero();
        }
        assertThat(Native.listen(fd, 16)).isZero();
        int port = SockAddr.localPort(fd, "accept-cancel-test");
        SharedFd listening = CoreAccess.adoptFd(fd, loop, "listen accept-cancel-test");

        // Queued in the listen backlog before the ACCEPT is armed: the kernel accepts all three at once.
        int queued = 3;
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < queued; i++) {
            clients.add(new Socket(InetAddress.getLoopbackAddress(), port));
        }
        Op accept = Op.builder(Opcode.ACCEPT).fd(listening)
                .opFlags(SockAddr.SOCK_CLOEXEC | SockAddr.SOCK_NONBLOCK)
                .ioprio(Opcode.IORING_ACCEPT_MULTISHOT)
                .closesOrphanedFd(true)
                .name("accept").target("accept-cancel-test").build();
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        BaseSubscriber<Completion> oneAtATime = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                request(1);
            }

            @Override
            protected void hookOnNext(Completion c) {
                delivered.add(c.res());
            }

            @Override
            protected void hookOnError(Throwable t) {
                errors.add(t);
            }
        };
        loop.submitMultishot(accept).subscribe(oneAtATime);

        // listening + 3 clients + 3 accepted: the kernel has accepted them all (CQEs posted).
        assertThat(Poll.until(() -> Fds.tcpSocketsOnPort(port) == 1 + 2L * queued))
                .as("all %d accepted by the kernel: %s", queued, Fds.describeTcpSocketsOnPort(port)).isTrue();
        assertThat(Poll.until(() -> delivered.size() == 1)).isTrue();
        Mono.fromRunnable(() -> { }).subscribeOn(loop).block(LoopbackFixture.T); // every CQE of that batch dispatched
        assertThat(delivered).as("one requested, one delivered").hasSize(1);
        return new Paused(port, listening, clients, delivered, errors, oneAtATime);
    }

    @Test
    void socketsAcceptedButNotYetDeliveredAreClosedWhenTheSubscriberCancels() throws Exception {
        assumeTrue(Uring.isAvailable(), "io_uring is not available");
        Paused p = pausedWithTwoWaiting(net.loop());
        p.subscriber().cancel();
        p.listening().close().block(LoopbackFixture.T);
        p.closeOursAndAwaitNoSocket();
    }

    /**
     * The same waiting sockets when the loop is disposed first: the subscriber's cancel then reaches
     * a terminated loop (the op is aborted, not run there), and they are closed all the same.
     */
    @Test
    void socketsWaitingWhenTheLoopIsDisposedAreClosedWhenTheSubscriberCancels() throws Exception {
        assumeTrue(Uring.isAvailable(), "io_uring is not available");
        UringLoop loop = UringLoop.create("accept-cancel-dispose-test");
        Paused p = pausedWithTwoWaiting(loop);
        p.listening().close();
        loop.disposeGracefully().block(LoopbackFixture.T); // the paused accept holds no slot: the loop ends
        p.subscriber().cancel();
        p.closeOursAndAwaitNoSocket();
    }

    /**
     * Disposed with the accept paused and two sockets waiting, and the subscriber never asks again:
     * the loop itself ends the op (an error needs no demand) and closes the two sockets. Before, the
     * op was in neither the loop's queue nor the kernel, so nothing ended it: no signal, two fds open
     * until the subscriber requested or cancelled.
     */
    @Test
    void aPausedAcceptIsEndedByTheLoopsDisposeWithoutDemandAndItsWaitingSocketsClosed() throws Exception {
        assumeTrue(Uring.isAvailable(), "io_uring is not available");
        UringLoop loop = UringLoop.create("accept-paused-dispose-test");
        Paused p = pausedWithTwoWaiting(loop);
        p.listening().close();
        loop.disposeGracefully().block(LoopbackFixture.T);
        assertThat(p.errors()).as("ended by the dispose, without a request")
                .singleElement().isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        assertThat(p.delivered()).hasSize(1);
        p.closeOursAndAwaitNoSocket();
    }
}
