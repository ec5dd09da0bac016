package io.reactoruring.core;

import org.reactivestreams.tck.TestEnvironment;
import org.testng.SkipException;

/**
 * What the Reactive Streams TCK verifications share. The TCK is TestNG-based (run on the JUnit
 * Platform by testng-engine), so JUnit's assumptions do not apply here: a missing io_uring skips
 * through TestNG, and .ci/run still fails on it through {@code ErrnoAndAvailabilityTest}.
 */
final class TckSupport {
    /**
     * Timeouts for a noisy 2-core CI machine. Expected signals may take up to a second (waiting
     * costs nothing when they come early); "no further signal" checks wait 200 ms each, which is
     * where the TCK spends its time.
     */
    static final long DEFAULT_TIMEOUT_MILLIS = 1000;
    static final long NO_SIGNALS_TIMEOUT_MILLIS = 200;
    /** Time for a cancel to reach the loop and the kernel before the TCK checks for a leaked subscriber. */
    static final long REFERENCE_GC_TIMEOUT_MILLIS = 500;

    private TckSupport() {
    }

    static TestEnvironment environment() {
        return new TestEnvironment(DEFAULT_TIMEOUT_MILLIS, NO_SIGNALS_TIMEOUT_MILLIS);
    }

    static UringLoop startLoop(String name) {
        if (!Uring.isAvailable()) {
            throw new SkipException("io_uring unavailable: " + Uring.unavailabilityCause());
        }
        return UringLoop.create(name);
    }

    /**
     * A loop already disposed: the TCK's "failed publisher" is an op on it. Rule 1.9 wants the
     * rejection as onSubscribe then onError without any request; an op the kernel fails (close(-1))
     * does not qualify, since nothing reaches the kernel before demand.
     */
    static UringLoop disposedLoop(String name) {
        UringLoop loop = startLoop(name);
        stopLoop(loop);
        return loop;
    }

    static void stopLoop(UringLoop loop) {
        if (loop != null) {
            loop.disposeGracefully().block(java.time.Duration.ofSeconds(10));
        }
    }
}
