package io.reactoruring.net;

import java.lang.ref.Cleaner;

/**
 * Frees memory handed to the kernel exactly once: either explicitly, when our code has seen the
 * operation's CQE ({@link #release()}), or, when the subscriber cancelled before the CQE, once core
 * drops the op's {@code keepAlive} after the terminal CQE and the {@link #token()} becomes
 * unreachable. Core has no "CQE after cancel" callback (yet), so the cancel path depends on GC;
 * that is why explicit release is used on every path where the CQE was observed.
 */
final class KernelLease {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Object token = new Object();
    private final Cleaner.Cleanable cleanable;

    /** {@code action} must not reference the token, or it would never become unreachable. */
    KernelLease(Runnable action) {
        this.cleanable = CLEANER.register(token, action);
    }

    /** The object to pass to {@code Op.Builder.keepAlive}. */
    Object token() {
        return token;
    }

    /** Runs the action now if it has not run yet. Only call once the op's CQE has been seen. */
    void release() {
        cleanable.clean();
    }
}
