/** Pooled, page-aligned native buffers owned by loops. */
@NullMarked
package io.reactoruring.core.buffer;

import org.jspecify.annotations.NullMarked;
