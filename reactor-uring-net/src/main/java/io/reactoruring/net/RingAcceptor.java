package io.reactoruring.net;

import io.reactoruring.core.Completion;
import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A listening socket on io_uring: one multishot IORING_OP_ACCEPT on one loop of the group, each
 * accepted socket handed to the next loop, round-robin.
 */
final class RingAcceptor implements Acceptor {
    private static final Logger LOG = Loggers.getLogger(UringServer.class);

    private final InetSocketAddress address;
    private final UringTcpServer config;
    private final List<UringLoop> loops;
    private final UringLoop acceptLoop;
    private final SharedFd listenFd;
    private final String target;
    private final AtomicInteger nextLoop = new AtomicInteger();

    private RingAcceptor(int fd, InetSocketAddress address, UringLoopGroup group, UringTcpServer config) {
        this.address = address;
        this.config = config;
        this.loops = group.loops();
        this.acceptLoop = group.next();
        this.target = SockAddr.describe(address);
        this.listenFd = CoreAccess.adoptFd(fd, acceptLoop, "listen " + target);
    }

    /** socket, options, bind and listen as plain syscalls on the calling thread. */
    static RingAcceptor bind(UringTcpServer config, UringLoopGroup group, InetSocketAddress address) throws Exception {
        String target = SockAddr.describe(address);
        int fd = SockAddr.socket(address, target);
        try {
            config.options.applyBeforeBind(fd, target);
            try (SockAddr sa = SockAddr.encode(address)) {
                int res = Native.bind(fd, sa.address, sa.length);
                if (res < 0) {
                    throw Errno.exception(res, "bind", target);
                }
            }
            int res = Native.listen(fd, config.backlog);
            if (res < 0) {
                throw Errno.exception(res, "listen", target);
            }
            int bound = SockAddr.localPort(fd, target);
            return new RingAcceptor(fd, new InetSocketAddress(address.getAddress(), bound), group, config);
        } catch (Throwable t) {
            Native.close(fd);
            throw t;
        }
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public Disposable start(Consumer<UringConnection> onAccept, Consumer<Throwable> onError) {
        Op accept = Op.builder(Opcode.ACCEPT).fd(listenFd)
                .opFlags(SockAddr.SOCK_CLOEXEC | SockAddr.SOCK_NONBLOCK) // see SOCK_NONBLOCK
                .ioprio(Opcode.IORING_ACCEPT_MULTISHOT)
                .rearm(true)              // the kernel may end a multishot accept; keep accepting
                .closesOrphanedFd(true)   // a socket accepted after dispose must not leak
                .name("accept").target(target).build();
        return acceptLoop.submitMultishot(accept).subscribe((Completion c) -> accepted(c.res(), onAccept), onError::accept);
    }

    private void accepted(int fd, Consumer<UringConnection> onAccept) {
        // Own round-robin: group.next() would return the accepting loop itself, since we run on it.
        UringLoop loop = loops.get(Math.floorMod(nextLoop.getAndIncrement(), loops.size()));
        try {
            config.options.applyPerConnection(fd, target);
        } catch (Exception e) {
            LOG.debug("socket options on an accepted socket of {}: {}", target, e.toString()); // best effort
        }
        String description = "fd " + fd + " accepted on " + target;
        UringConnection conn;
        try {
            conn = new UringConnection(new RingConnectionIo(fd, loop, description, config.settings), description);
        } catch (RuntimeException e) {
            Native.close(fd);
            LOG.warn("dropping accepted connection on {}: {}", target, e.toString());
            return;
        }
        onAccept.accept(conn);
    }

    /** Waits for the cancelled accept's final CQE, then IORING_OP_CLOSE. */
    @Override
    public Mono<Void> close() {
        return listenFd.close();
    }

    @Override
    public Scheduler timer() {
        return acceptLoop;
    }
}
