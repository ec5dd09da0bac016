package io.reactoruring.core.children;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;

/**
 * Child of RestrictedEnvironmentTest: in an environment where io_uring is blocked or limited, the
 * core reports why, never throws from the availability API, does not re-create the shared group on
 * every call, and still pools buffers for the NIO fallbacks.
 */
public final class RestrictedCoreChild {
    private RestrictedCoreChild() {
    }

    public static void main(String[] args) {
        System.out.println("available=" + Uring.isAvailable());
        System.out.println("uring cause=" + Uring.unavailabilityCause());
        Throwable cause = UringLoopGroup.sharedUnavailabilityCause();
        System.out.println("CAUSE: " + (cause == null ? null : cause.getMessage()));
        check(cause != null, "the shared group is unusable");
        for (int i = 0; i < 5; i++) {
            check(UringLoopGroup.sharedIfUsable() == null, "sharedIfUsable() stays null");
            check(UringLoopGroup.sharedUnavailabilityCause() == cause, "the same cause, not a new attempt");
            try {
                UringLoopGroup.shared();
                check(false, "shared() throws");
            } catch (UnsupportedOperationException e) {
                check(e.getCause() == cause, "shared() names the cause");
            }
        }
        try (BufferPool pool = new BufferPool(4)) {
            PooledBuffer b = pool.acquire(100);
            b.buffer().putInt(0, 42);
            check(b.buffer().getInt(0) == 42, "a pooled buffer works");
            b.release();
            check(pool.outstanding() == 0, "released");
        }
        System.out.println("CHILD OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
