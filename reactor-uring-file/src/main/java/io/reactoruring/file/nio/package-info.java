/**
 * NIO.2 drop-ins on io_uring: {@link io.reactoruring.file.nio.UringAsynchronousFileChannel} is an
 * {@link java.nio.channels.AsynchronousFileChannel} whose reads, writes, size, truncate and force run
 * as io_uring ops, and {@link io.reactoruring.file.nio.UringFileSystemProvider} installs it behind
 * {@link java.nio.channels.AsynchronousFileChannel#open} for the whole JVM with
 * {@code -Djava.nio.file.spi.DefaultFileSystemProvider=io.reactoruring.file.nio.UringFileSystemProvider},
 * without code changes (Spring's {@code DataBufferUtils.read(Path, ...)} for instance).
 */
@NullMarked
package io.reactoruring.file.nio;

import org.jspecify.annotations.NullMarked;
