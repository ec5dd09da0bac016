package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.Fds;
import io.reactoruring.core.testing.Poll;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Every {@link ConnectCancelTest} on the NIO fallback, and its connect timeout's share of the race. */
class NioConnectCancelTest extends ConnectCancelTest implements LoopbackFixture.OnNio {

    /**
     * On the fallback the connect timeout is Reactor's {@code timeout()}, which drops a value that
     * arrives after it fired to {@code Hooks.onNextDropped}: the connect completes, the hook holds
     * its emission until the subscriber has the timeout error, and the connection is closed anyway.
     * (On io_uring the timeout is linked to the CONNECT in the kernel: a completed connect has no
     * timeout left to race.)
     */
    @Test
    void aConnectionCompletingAsItsTimeoutFiresIsClosed() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        UringServer server = echoUntilClosed(accepted);
        long baseline = Fds.tcpSocketsOnPort(server.port());
        CountDownLatch failed = new CountDownLatch(1);
        List<UringConnection> held = new CopyOnWriteArrayList<>();
        UringTcpClient.beforeEmitForTests = c -> {
            held.add(c);
            try {
                failed.await(T.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        List<UringConnection> received = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        net.client(server).connectTimeout(Duration.ofSeconds(1)).connect().subscribe(received::add, e -> {
            error.set(e);
            failed.countDown();
        });
        assertThat(failed.await(T.toSeconds(), TimeUnit.SECONDS)).as("the connect timed out").isTrue();
        assertThat(held).as("the connect completed before its timeout fired").hasSize(1);
        assertThat(error.get()).hasMessageContaining("connect");
        assertThat(Poll.until(() -> held.get(0).isDisposed())).as("the client disposed the connection").isTrue();
        assertThat(Poll.until(() -> accepted.get() == 1)).as("the server accepted it").isTrue();
        assertAllClosed(server, baseline, "after a connect that timed out as it completed");
        assertThat(received).isEmpty();
    }
}
