package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Errno;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A failed accept (EMFILE when the process is out of fds, ENFILE, ENOBUFS) does not stop the
 * server: it accepts again after a pause, on either transport's acceptor. Driven by an acceptor
 * that fails its first run, in virtual time (running out of fds for real breaks the test JVM's
 * class loading).
 */
class AcceptRetryTest {
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final AtomicInteger starts = new AtomicInteger();

    /** Fails its first run with EMFILE, then accepts quietly. */
    private final Acceptor failingOnce = new Acceptor() {
        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        }

        @Override
        public Disposable start(Consumer<UringConnection> onAccept, Consumer<Throwable> onError) {
            if (starts.incrementAndGet() == 1) {
                onError.accept(Errno.exception(Errno.EMFILE, "accept", "test"));
            }
            return Disposables.single();
        }

        @Override
        public Mono<Void> close() {
            return Mono.empty();
        }

        @Override
        public Scheduler timer() {
            return time;
        }
    };

    @Test
    void aFailedAcceptIsRetriedAfterAPause() {
        UringServer server = new UringServer(failingOnce, UringTcpServer.create());
        server.start();
        assertThat(starts).hasValue(1);
        time.advanceTimeBy(Duration.ofMillis(99));
        assertThat(starts).as("not at once: that would spin while fds are short").hasValue(1);
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(starts).hasValue(2);
        time.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(starts).as("accepting again, no further retries").hasValue(2);
        server.dispose();
    }

    @Test
    void noRetryOnceDisposed() {
        UringServer server = new UringServer(failingOnce, UringTcpServer.create());
        server.start();
        server.dispose();
        time.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(starts).hasValue(1);
        assertThat(server.isDisposed()).isTrue();
    }
}
