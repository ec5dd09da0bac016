package io.reactoruring.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/** A listening socket on the NIO fallback: one accept at a time on an {@link AsynchronousServerSocketChannel}. */
final class NioAcceptor implements Acceptor {
    private static final Logger LOG = Loggers.getLogger(UringServer.class);

    private final AsynchronousServerSocketChannel channel;
    private final InetSocketAddress address;
    private final UringTcpServer config;
    private final String target;
    private final Sinks.Empty<Void> closed = Sinks.empty();

    private NioAcceptor(AsynchronousServerSocketChannel channel, InetSocketAddress address, UringTcpServer config) {
        this.channel = channel;
        this.address = address;
        this.config = config;
        this.target = SockAddr.describe(address);
    }

    static NioAcceptor bind(UringTcpServer config, InetSocketAddress address) throws Exception {
        String target = SockAddr.describe(address);
        AsynchronousServerSocketChannel ch = AsynchronousServerSocketChannel.open(Transport.nioGroup());
        try {
            config.options.applyToListener(ch);
            try {
                ch.bind(address, config.backlog);
            } catch (IOException e) {
                throw (Exception) Transport.nioError(e, "bind", target);
            }
            int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            return new NioAcceptor(ch, new InetSocketAddress(address.getAddress(), port), config);
        } catch (Throwable t) {
            ch.close();
            throw t;
        }
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public Disposable start(Consumer<UringConnection> onAccept, Consumer<Throwable> onError) {
        Disposable stop = reactor.core.Disposables.single();
        CompletionHandler<AsynchronousSocketChannel, Void> handler = new CompletionHandler<>() {
            @Override
            public void completed(AsynchronousSocketChannel socket, Void unused) {
                if (stop.isDisposed()) {
                    closeQuietly(socket);
                    return;
                }
                acceptNext(this);
                accepted(socket, onAccept);
            }

            @Override
            public void failed(Throwable t, Void unused) {
                if (!stop.isDisposed() && !(t instanceof AsynchronousCloseException)) {
                    onError.accept(Transport.nioError(t, "accept", target));
                }
            }
        };
        acceptNext(handler);
        return stop;
    }

    private void acceptNext(CompletionHandler<AsynchronousSocketChannel, Void> handler) {
        try {
            channel.accept(null, handler);
        } catch (RuntimeException e) { // closed meanwhile, or the group is shut down
            handler.failed(e, null);
        }
    }

    private void accepted(AsynchronousSocketChannel socket, Consumer<UringConnection> onAccept) {
        String description;
        try {
            config.options.applyPerConnection(socket);
            SocketAddress remote = socket.getRemoteAddress();
            description = remote + " accepted on " + target;
        } catch (IOException e) {
            LOG.debug("dropping accepted connection on {}: {}", target, e.toString()); // reset before we got to it
            closeQuietly(socket);
            return;
        }
        onAccept.accept(new UringConnection(new NioConnectionIo(socket, description, config.settings), description));
    }

    private static void closeQuietly(AsynchronousSocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    /** Closing the channel ends the accept in progress (AsynchronousCloseException, ignored above). */
    @Override
    public Mono<Void> close() {
        if (channel.isOpen()) {
            try {
                channel.close();
                closed.tryEmitEmpty();
            } catch (IOException e) {
                closed.tryEmitError(e);
            }
        }
        return closed.asMono();
    }

    @Override
    public Scheduler timer() {
        return Schedulers.parallel();
    }
}
