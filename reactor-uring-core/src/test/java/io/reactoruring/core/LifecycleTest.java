package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class LifecycleTest {

    @Test
    void disposeWithOpsInFlightTerminatesEverySubscriberAndFreesNativeMemory() {
        assumeUring();
        // The public diagnostic (Uring.nativeMemoryBytes/Blocks) is what users see of NativeMemory's counters.
        long bytesBefore = Uring.nativeMemoryBytes();
        long blocksBefore = Uring.nativeMemoryBlocks();
        UringLoop loop = UringLoop.create("dispose-test", RingOptions.defaults().sqEntries(16).submissionsPerIteration(64));
        loop.bufferPool().acquire(8192).release(); // the pool caches it: dispose must free it
        assertThat(Uring.nativeMemoryBytes()).as("a live loop holds native memory").isGreaterThan(bytesBefore);
        assertThat(Uring.nativeMemoryBlocks()).isGreaterThan(blocksBefore);
        int ops = 200; // 64 per iteration reach the kernel: all of them after a few iterations
        Flux<Throwable> outcomes = Flux.range(0, ops)
                .flatMap(i -> loop.submit(Op.timeout(Duration.ofHours(1)))
                        .map(x -> (Throwable) new AssertionError("an hour-long timeout completed"))
                        .onErrorResume(e -> Mono.just(e)), ops)
                .cache();
        StepVerifier.create(outcomes.count())
                .then(() -> assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == ops))
                        .as("every op in the kernel: %s", loop.metrics()).isTrue())
                .then(loop::dispose)
                .expectNext((long) ops)
                .verifyComplete();
        StepVerifier.create(outcomes)
                .thenConsumeWhile(e -> e instanceof CancellationException || e instanceof RejectedExecutionException)
                .verifyComplete();
        loop.disposeGracefully().block(Duration.ofSeconds(10));
        assertThat(Uring.nativeMemoryBytes()).as("ring buffers, slots and pool all freed").isEqualTo(bytesBefore);
        assertThat(Uring.nativeMemoryBlocks()).isEqualTo(blocksBefore);
        loop.dispose(); // idempotent
        assertThat(loop.isDisposed()).isTrue();
    }

    @Test
    void disposeLaterOfAGroupCompletesWhenAllLoopsStopped() {
        assumeUring();
        UringLoopGroup group = UringLoopGroup.create("group-test", 2, RingOptions.defaults().sqEntries(8));
        assertThat(group.loops()).hasSize(2);
        assertThat(group.next()).isNotSameAs(group.next()); // round-robin from a foreign thread
        StepVerifier.create(group.loops().get(0).submit(Op.nop()).map(x -> group.next().name()))
                .expectNext("group-test-0") // on a loop thread, next() stays on that loop
                .verifyComplete();
        StepVerifier.create(group.disposeLater()).verifyComplete();
        assertThat(group.isDisposed()).isTrue();
    }
}
