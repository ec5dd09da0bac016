/**
 * reactor-uring core: rings, their loop threads, and the Mono/Flux operation model.
 * Start with {@link io.reactoruring.core.UringLoopGroup} and {@link io.reactoruring.core.Op}.
 */
@NullMarked
package io.reactoruring.core;

import org.jspecify.annotations.NullMarked;
