package io.reactoruring.spring;

import io.netty.channel.Channel;
import reactor.netty.ConnectionObserver;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;

/**
 * A workaround for a Reactor Netty server bug that leaves an HTTP/1.1 kept-alive connection without a
 * read, so that the client's next request is never read and never answered (server threads idle, the
 * client waiting until its timeout).
 *
 * <p><b>The bug</b> (Reactor Netty 1.2.18, the last 1.2.x, as in Spring Boot 3.5.16, and 1.3.6, as in
 * Spring Boot 4.0.7; reported upstream on 1.3.7 as reactor-netty issue 4361; 1.3.8 with Netty 4.2.18 passes
 * {@code KeepAliveFramingTest} without this workaround, and 1.2.x has no later release). Since 1.2.18/1.3.6 the server
 * reads on demand and queues a request that arrives while the previous request's operations have not
 * terminated yet: a pipelined request, or, on a busy machine, the next request of a client that already
 * has the whole previous response (its body was sent, the handler's completion not yet processed).
 * When those operations terminate, the queue is drained by a task that dispatches the queued request.
 * If that request is answered synchronously inside the dispatch (a 304, a 404, any response built
 * without waiting for I/O), its termination schedules a second drain (the request's trailing
 * end-of-content is still queued); the first drain takes that trailing content, the second finds an
 * empty queue, and neither asks the channel for the next read. The connection then stays silent.
 *
 * <p><b>The workaround</b>: when a request's operations on an HTTP/1.x connection terminate, one read
 * is requested on the connection, queued on its event loop behind Reactor Netty's own drain. Where the
 * server already reads (the usual case, and versions without the bug) this does nothing: a pending
 * read is not requested twice, and bytes read are handled by the server's own pipelining rules. The
 * auto-configuration applies it to Spring Boot's Reactor Netty server; apply it to a server of your own
 * with {@link #rearm(HttpServer)}.
 */
public final class KeepAliveReads {
    private KeepAliveReads() {
    }

    /**
     * {@code server} with the workaround: after each HTTP/1.x request's operations terminate, one read
     * is requested on the connection if it is still open.
     *
     * @param server a Reactor Netty HTTP server configuration
     * @return the configuration with an added child observer
     */
    public static HttpServer rearm(HttpServer server) {
        return server.childObserve(KeepAliveReads::onStateChange);
    }

    private static void onStateChange(reactor.netty.Connection connection, ConnectionObserver.State state) {
        if (state != ConnectionObserver.State.DISCONNECTING || !(connection instanceof HttpServerRequest request)
                || request.version().majorVersion() != 1 || request.isWebsocket()) {
            return;
        }
        Channel channel = connection.channel();
        // Behind the drain that Reactor Netty queued during the same termination.
        channel.eventLoop().execute(() -> {
            if (channel.isActive() && !channel.config().isAutoRead()) {
                channel.read();
            }
        });
    }
}
