package io.reactoruring.net;

/**
 * Socket options applied to a socket before it is bound or connected (listening sockets pass most of
 * them on to accepted sockets; TCP_NODELAY and SO_KEEPALIVE are also set on each accepted socket).
 * A size of 0 keeps the kernel's default.
 */
record SocketOptions(boolean noDelay, boolean reuseAddress, boolean reusePort, int receiveBufferSize,
                     int sendBufferSize, boolean keepAlive) {
    static final int SO_KEEPALIVE = 9;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_REUSEPORT = 15;

    /** TCP_NODELAY on, SO_REUSEADDR as given, everything else the kernel's default. */
    static SocketOptions defaults(boolean reuseAddress) {
        return new SocketOptions(true, reuseAddress, false, 0, 0, false);
    }

    static int checkSize(int bytes, String what) {
        if (bytes < 0) {
            throw new IllegalArgumentException(what + " must be >= 0 (0 = kernel default), was " + bytes);
        }
        return bytes;
    }

    SocketOptions withNoDelay(boolean v) {
        return new SocketOptions(v, reuseAddress, reusePort, receiveBufferSize, sendBufferSize, keepAlive);
    }

    SocketOptions withReuseAddress(boolean v) {
        return new SocketOptions(noDelay, v, reusePort, receiveBufferSize, sendBufferSize, keepAlive);
    }

    SocketOptions withReusePort(boolean v) {
        return new SocketOptions(noDelay, reuseAddress, v, receiveBufferSize, sendBufferSize, keepAlive);
    }

    SocketOptions withReceiveBufferSize(int v) {
        return new SocketOptions(noDelay, reuseAddress, reusePort, checkSize(v, "SO_RCVBUF"), sendBufferSize, keepAlive);
    }

    SocketOptions withSendBufferSize(int v) {
        return new SocketOptions(noDelay, reuseAddress, reusePort, receiveBufferSize, checkSize(v, "SO_SNDBUF"), keepAlive);
    }

    SocketOptions withKeepAlive(boolean v) {
        return new SocketOptions(noDelay, reuseAddress, reusePort, receiveBufferSize, sendBufferSize, v);
    }

    /** Sets every option on a socket that is about to be bound or connected; fails with the errno's exception. */
    void applyBeforeBind(int fd, String target) throws Exception {
        if (reuseAddress) {
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SockAddr.SO_REUSEADDR, 1, "SO_REUSEADDR", target);
        }
        if (reusePort) {
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", target);
        }
        // Buffer sizes must be set before listen()/connect() to take part in the TCP window scale.
        if (receiveBufferSize > 0) {
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SO_RCVBUF, receiveBufferSize, "SO_RCVBUF", target);
        }
        if (sendBufferSize > 0) {
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SO_SNDBUF, sendBufferSize, "SO_SNDBUF", target);
        }
        applyPerConnection(fd, target);
    }

    /** The listener's options on the NIO fallback; SO_SNDBUF goes on each accepted socket instead. */
    void applyToListener(java.nio.channels.NetworkChannel ch) throws java.io.IOException {
        ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, reuseAddress);
        if (reusePort) {
            ch.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
        }
        if (receiveBufferSize > 0) {
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, receiveBufferSize);
        }
    }

    /** Every option on a NIO socket that is about to connect. */
    void applyBeforeConnect(java.nio.channels.NetworkChannel ch) throws java.io.IOException {
        applyToListener(ch);
        applyPerConnection(ch);
    }

    /** On the NIO fallback: the options a connected or accepted socket takes. */
    void applyPerConnection(java.nio.channels.NetworkChannel ch) throws java.io.IOException {
        ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, noDelay);
        ch.setOption(java.net.StandardSocketOptions.SO_KEEPALIVE, keepAlive);
        if (sendBufferSize > 0) {
            ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, sendBufferSize);
        }
    }

    /** The options accepted sockets do not reliably inherit from the listener. */
    void applyPerConnection(int fd, String target) throws Exception {
        if (noDelay) {
            SockAddr.setOption(fd, SockAddr.IPPROTO_TCP, SockAddr.TCP_NODELAY, 1, "TCP_NODELAY", target);
        }
        if (keepAlive) {
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", target);
        }
    }
}
