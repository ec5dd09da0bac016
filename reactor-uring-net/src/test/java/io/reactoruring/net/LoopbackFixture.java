package io.reactoruring.net;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Test fixture for loopback tests: one loop group per test class (created before its tests, disposed
 * after them) and the server the running test bound through {@link #bind}, disposed at once (no grace
 * period) after that test. Register it as
 * {@code @RegisterExtension static final LoopbackFixture net = new LoopbackFixture("name", 1);}.
 */
final class LoopbackFixture implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
    static final Duration T = Duration.ofSeconds(10);
    private final String name;
    private final int loops;
    private UringLoopGroup group;
    private UringServer server;

    LoopbackFixture(String name, int loops) {
        this.name = name;
        this.loops = loops;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        group = UringLoopGroup.create(name, loops, RingOptions.defaults());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        group.disposeLater().block(T);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stopServer();
    }

    UringLoopGroup group() {
        return group;
    }

    /** The group's first loop. */
    UringLoop loop() {
        return group.loops().get(0);
    }

    /** Binds {@code server} on this group; it is disposed after the running test (or by {@link #stopServer}). */
    UringServer bind(UringTcpServer server) {
        this.server = server.group(group).bindNow(T);
        return this.server;
    }

    /** Disposes the server bound last, with no grace period; nothing if it is already gone. */
    void stopServer() {
        if (server != null) {
            server.disposeLater(Duration.ZERO).block(T);
            server = null;
        }
    }

    /** A client of {@code server} on this group. */
    UringTcpClient client(UringServer server) {
        return UringTcpClient.create().port(server.port()).group(group);
    }

    /** Binds a server (any port) that collects what a connection sends until the peer closes, into {@code received}. */
    UringServer collectingServer(Sinks.One<byte[]> received) {
        return bind(UringTcpServer.create().port(0)
                .handle((in, out) -> collect(in.receive()).doOnNext(received::tryEmitValue).then()));
    }

    /** The bytes of {@code buffers} in order; each buffer is released once copied. */
    static Mono<byte[]> collect(Flux<PooledBuffer> buffers) {
        return buffers.reduce(new ByteArrayOutputStream(), (acc, pb) -> {
            byte[] chunk = new byte[pb.buffer().remaining()];
            pb.buffer().get(chunk);
            pb.release();
            acc.write(chunk, 0, chunk.length);
            return acc;
        }).map(ByteArrayOutputStream::toByteArray);
    }
}
