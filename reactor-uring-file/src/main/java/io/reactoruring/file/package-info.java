/**
 * Reactive file I/O on io_uring: {@link io.reactoruring.file.UringFiles} opens files and runs
 * path operations (unlink, mkdir, rename), {@link io.reactoruring.file.UringFile} reads, writes,
 * streams, stats and syncs an open file. Every operation is a cold publisher whose signals arrive on
 * the io_uring loop thread that runs it.
 */
@NullMarked
package io.reactoruring.file;

import org.jspecify.annotations.NullMarked;
