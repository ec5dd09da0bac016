/**
 * Files as {@code Mono} and {@code Flux} over io_uring ({@link io.reactoruring.file.UringFiles}), and the
 * {@code AsynchronousFileChannel} drop-in ({@link io.reactoruring.file.nio.UringFileSystemProvider}).
 */
module io.reactoruring.file {
    requires transitive io.reactoruring.core;
    requires jdk.unsupported; // com.sun.nio.file.ExtendedOpenOption.DIRECT for the NIO fallback of O_DIRECT
    requires static org.jspecify;

    exports io.reactoruring.file;
    exports io.reactoruring.file.nio;
}
