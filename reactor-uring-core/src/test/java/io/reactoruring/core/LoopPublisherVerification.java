package io.reactoruring.core;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * What the Reactive Streams TCK verifications of core's publishers share: a real loop per class,
 * and a disposed one for the TCK's "failed publisher" (rule 1.9 wants the rejection as onSubscribe
 * then onError without any request; an op the kernel fails, such as close(-1), does not qualify,
 * since nothing reaches the kernel before demand). Subclasses say how to build their publisher on
 * a loop. The TCK is TestNG-based (run on the JUnit Platform by testng-engine), so JUnit's
 * assumptions do not apply: a missing io_uring skips through TestNG, and .ci/run still fails on it
 * through {@code ErrnoAndAvailabilityTest}.
 */
public abstract class LoopPublisherVerification<T> extends PublisherVerification<T> {
    /**
     * Timeouts for a noisy 2-core CI machine. Expected signals may take up to a second (waiting
     * costs nothing when they come early); "no further signal" checks wait 200 ms each, which is
     * where the TCK spends its time.
     */
    static final long DEFAULT_TIMEOUT_MILLIS = 1000;
    static final long NO_SIGNALS_TIMEOUT_MILLIS = 200;
    /** Time for a cancel to reach the loop and the kernel before the TCK checks for a leaked subscriber. */
    static final long REFERENCE_GC_TIMEOUT_MILLIS = 500;
    /** Elements asked of the failed publisher (it never emits any). */
    private static final long FAILED_ELEMENTS = 3;

    private final String name;
    private UringLoop loop;
    private UringLoop disposed;

    LoopPublisherVerification(String name) {
        super(new TestEnvironment(DEFAULT_TIMEOUT_MILLIS, NO_SIGNALS_TIMEOUT_MILLIS), REFERENCE_GC_TIMEOUT_MILLIS);
        this.name = name;
    }

    /** The publisher of {@code elements} elements, on {@code loop}. */
    abstract Publisher<T> publisher(UringLoop loop, long elements);

    @BeforeClass
    public void startLoops() {
        loop = start(name);
        disposed = start(name + "-disposed");
        stop(disposed);
    }

    @AfterClass(alwaysRun = true)
    public void stopLoop() {
        stop(loop);
    }

    @Override
    public Publisher<T> createPublisher(long elements) {
        return publisher(loop, elements);
    }

    /** The same publisher on a disposed loop: rejected with RejectedExecutionException. */
    @Override
    public Publisher<T> createFailedPublisher() {
        return publisher(disposed, FAILED_ELEMENTS);
    }

    private static UringLoop start(String name) {
        if (!Uring.isAvailable()) {
            throw new SkipException("io_uring unavailable: " + Uring.unavailabilityCause());
        }
        return UringLoop.create(name);
    }

    private static void stop(UringLoop loop) {
        if (loop != null) {
            loop.disposeGracefully().block(java.time.Duration.ofSeconds(10));
        }
    }
}
