package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.awaitOnLoop;
import static io.reactoruring.spring.TestSupport.random;
import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.util.internal.PlatformDependent;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * What Reactor Netty is handed to write, seen by a probe in the server's pipeline in front of the
 * HTTP encoder: on the io_uring path, the very pooled memory the kernel read into (no copy); on the
 * zero-copy path, a FileRegion (sendfile).
 */
class NettyNoCopyTest {
    private static final byte[] CONTENT = random(3 * 64 * 1024 + 11, 9);

    @TempDir
    static Path root;
    static UringLoopGroup group;
    static UringLoop loop;

    /** Everything with a body that the server wrote, in order. */
    private final List<Object> written = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        write(root.resolve("data.bin"), CONTENT);
        group = UringLoopGroup.create("spring-nocopy-test", 1, RingOptions.defaults());
        loop = group.loops().get(0);
    }

    @AfterAll
    static void stop() {
        group.disposeLater().block(T);
    }

    private DisposableServer server(UringResources.ZeroCopy mode) {
        RouterFunction<ServerResponse> router = UringResources.create(root).withLoopGroup(group).withZeroCopy(mode)
                .router("/**");
        return HttpServer.create().host("127.0.0.1").port(0)
                .doOnConnection(c -> c.addHandlerFirst("probe", new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                        Object body = msg instanceof ByteBufHolder h ? h.content() : msg;
                        if (body instanceof ByteBuf b && b.isReadable()) {
                            // Recorded while the server still holds the buffer; the identity and address
                            // are what matter, not the bytes after release.
                            written.add(new Written(b, b.nioBufferCount() == 1 && b.isDirect()
                                    ? PlatformDependent.directBufferAddress(b.nioBuffer()) : 0));
                        } else if (body instanceof FileRegion f) {
                            written.add(f);
                        }
                        ctx.write(msg, promise);
                    }
                }))
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(router)))
                .bindNow();
    }

    record Written(ByteBuf buf, long address) {
    }

    private static byte[] get(DisposableServer server) {
        return HttpClient.create().get().uri("http://127.0.0.1:" + server.port() + "/data.bin")
                .responseContent().aggregate().asByteArray().block(T);
    }

    @Test
    void uringPathHandsNettyThePooledMemoryTheKernelReadInto() {
        long before = loop.bufferPool().outstanding();
        DisposableServer server = server(UringResources.ZeroCopy.NEVER);
        try {
            assertThat(get(server)).isEqualTo(CONTENT);
        } finally {
            server.disposeNow();
        }
        assertThat(written).hasSize(4).allSatisfy(w -> {
            assertThat(w).isInstanceOf(Written.class);
            Written x = (Written) w;
            assertThat(x.buf()).isInstanceOf(NettyPooledBuffers.PooledByteBuf.class);
            assertThat(x.address()).isEqualTo(((NettyPooledBuffers.PooledByteBuf) x.buf()).pooled().address());
        });
        // Netty released every buffer after writing it: the memory went back to the loop's pool.
        awaitOnLoop(loop, "buffers back in the pool", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void clientAbortReleasesEveryBufferAndClosesTheFile() {
        write(root.resolve("large.bin"), random(32 * 1024 * 1024, 11));
        DisposableServer server = server(UringResources.ZeroCopy.NEVER);
        long before = loop.bufferPool().outstanding();
        long fds = TestSupport.openFds();
        try {
            // Take the first piece of the body and go away: the client closes the connection mid-response.
            byte[] first = HttpClient.create().get().uri("http://127.0.0.1:" + server.port() + "/large.bin")
                    .responseContent().take(1).map(b -> {
                        byte[] bytes = new byte[b.readableBytes()];
                        b.readBytes(bytes);
                        return bytes;
                    }).blockLast(T);
            assertThat(first).isNotEmpty();
            // The server notices the close on its own thread: bounded round trips through the loop.
            TestSupport.awaitOnLoop(loop, 200_000, "read-ahead and written buffers back in the pool",
                    () -> loop.bufferPool().outstanding() == before);
            TestSupport.awaitOnLoop(loop, 200_000, "file and sockets closed", () -> TestSupport.openFds() <= fds);
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void plainHttpKeepsSpringsZeroCopyPath() {
        DisposableServer server = server(UringResources.ZeroCopy.AUTO);
        try {
            assertThat(get(server)).isEqualTo(CONTENT);
        } finally {
            server.disposeNow();
        }
        assertThat(written).hasSize(1).first().isInstanceOf(FileRegion.class);
    }
}
