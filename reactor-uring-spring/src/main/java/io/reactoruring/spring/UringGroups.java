package io.reactoruring.spring;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Where this module decides between io_uring and its fallback (Spring's zero-copy path and NIO reads),
 * so that the decision and its single warning live in one place.
 */
final class UringGroups {
    private static final Logger LOG = Loggers.getLogger(UringResources.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private UringGroups() {
    }

    /**
     * {@link UringLoopGroup#shared()} when io_uring can be used here; otherwise null, after one warning
     * per process naming the cause.
     */
    static @Nullable UringLoopGroup sharedOrNull() {
        if (!Uring.isAvailable()) {
            warnFallback(Uring.unavailabilityCause());
            return null;
        }
        try {
            return UringLoopGroup.shared();
        } catch (RuntimeException e) {
            // The probe passed but creating the rings failed (memlock limit, seccomp on io_uring_setup).
            warnFallback(e);
            return null;
        }
    }

    /** Logs, once per process, that files are served without io_uring and why. */
    static void warnFallback(@Nullable Throwable cause) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("io_uring is unavailable ({}); reactor-uring-spring serves files through Spring's "
                    + "zero-copy path and NIO reads instead, with the same responses", String.valueOf(cause));
        }
    }
}
