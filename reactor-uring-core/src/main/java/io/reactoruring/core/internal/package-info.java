/** The native boundary. Internal: for reactor-uring modules, not applications. */
@NullMarked
package io.reactoruring.core.internal;

import org.jspecify.annotations.NullMarked;
