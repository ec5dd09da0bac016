/** TCP servers and clients as {@code Mono} and {@code Flux} over io_uring ({@link io.reactoruring.net.UringTcpServer}). */
module io.reactoruring.net {
    requires transitive io.reactoruring.core;
    requires static org.jspecify;

    exports io.reactoruring.net;
}
