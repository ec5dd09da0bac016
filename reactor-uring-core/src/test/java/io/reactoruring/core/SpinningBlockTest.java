package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Schedulers;

/**
 * Issue 13, the latency paths: with {@code reactoruring.loop.spinMicros} set, {@code block()} on a
 * loop's {@code submit(..)} polls for its result before it parks ({@link SpinningBlock}). It must
 * behave exactly as Reactor's {@code block()}: each case below runs both and compares what the
 * caller sees (value, exception type, message, suppressed marker, cancellation, interrupt status).
 */
class SpinningBlockTest {
    static final Duration T = Duration.ofSeconds(30);
    /** A window long enough that every wait here spins first. */
    private final SpinningBlock.SpinWindow window = new SpinningBlock.SpinWindow(1_000_000);

    @AfterEach
    void resetHooks() {
        Hooks.resetOnLastOperator();
    }

    private <T> T spinning(Mono<T> m) {
        return SpinningBlock.block(m, window, Long.MAX_VALUE);
    }

    private static Throwable thrown(Runnable r) {
        Throwable t = catchThrowable(r::run);
        assertThat(t).isNotNull();
        return t;
    }

    private static void assertSameFailure(Throwable ours, Throwable reactors) {
        assertThat(ours).hasSameClassAs(reactors).hasMessage(reactors.getMessage());
        assertThat(ours.getCause() == null ? null : ours.getCause().getClass())
                .isEqualTo(reactors.getCause() == null ? null : reactors.getCause().getClass());
        assertThat(ours.getSuppressed()).extracting(Throwable::getMessage)
                .containsExactlyElementsOf(List.of(reactors.getSuppressed()).stream().map(Throwable::getMessage).toList());
    }

    @Test
    void valuesAndEmptyAsReactor() {
        assertThat(spinning(Mono.just(7))).isEqualTo(Mono.just(7).block()).isEqualTo(7);
        assertThat(spinning(Mono.<Integer>empty())).isNull();
        // a value emitted later, from another thread: the wait parks after its spin and is woken
        assertThat(spinning(Mono.just(3).delayElement(Duration.ofMillis(20)))).isEqualTo(3);
    }

    @Test
    void errorsAreRethrownAsReactorDoes() {
        for (Function<Integer, Throwable> error : List.<Function<Integer, Throwable>>of(
                i -> new IllegalArgumentException("bad " + i), i -> new IOException("io " + i))) {
            Throwable reactors = thrown(() -> Mono.error(error.apply(1)).hide().block()); // hide(): MonoError has its own block()
            Throwable ours = thrown(() -> spinning(Mono.error(error.apply(1))));
            assertSameFailure(ours, reactors);
            assertThat(ours.getSuppressed()).extracting(Throwable::getMessage).contains("#block terminated with an error");
        }
    }

    @Test
    void aTimeoutCancelsUpstreamAndThrowsAsReactor() {
        AtomicInteger cancels = new AtomicInteger();
        Mono<Integer> never = Mono.<Integer>never().doOnCancel(cancels::incrementAndGet);
        Throwable reactors = thrown(() -> never.block(Duration.ofMillis(30)));
        Throwable ours = thrown(() -> SpinningBlock.block(never, window, Duration.ofMillis(30).toNanos()));
        assertSameFailure(ours, reactors);
        assertThat(cancels).hasValue(2);
    }

    @Test
    void anInterruptCancelsUpstreamKeepsTheInterruptStatusAndThrowsAsReactor() {
        AtomicInteger cancels = new AtomicInteger();
        Mono<Integer> never = Mono.<Integer>never().doOnCancel(cancels::incrementAndGet);
        Thread.currentThread().interrupt();
        Throwable reactors = thrown(never::block);
        assertThat(Thread.interrupted()).as("Reactor keeps the interrupt status").isTrue();
        Thread.currentThread().interrupt();
        Throwable ours = thrown(() -> spinning(never));
        assertThat(Thread.interrupted()).as("and so does the spinning block").isTrue();
        assertSameFailure(ours, reactors);
        assertThat(ours.getCause()).isInstanceOf(InterruptedException.class);
        // and with a timeout (Reactor then adds a suppressed marker)
        Thread.currentThread().interrupt();
        Throwable reactorsTimed = thrown(() -> never.block(T));
        assertThat(Thread.interrupted()).isTrue();
        Thread.currentThread().interrupt();
        Throwable oursTimed = thrown(() -> SpinningBlock.block(never, window, T.toNanos()));
        assertThat(Thread.interrupted()).isTrue();
        assertSameFailure(oursTimed, reactorsTimed);
        assertThat(cancels).hasValue(4);
    }

    @Test
    void refusedOnANonBlockingThreadAsReactor() {
        Throwable[] both = Mono.fromCallable(() -> new Throwable[] {
                thrown(() -> Mono.just(1).hide().block()), thrown(() -> spinning(Mono.just(1).hide()))})
                .subscribeOn(Schedulers.parallel()).block(T);
        assertSameFailure(both[1], both[0]);
    }

    @Test
    void theWindowHalvesAfterAMissAndAHitRestoresIt() {
        SpinningBlock.SpinWindow w = new SpinningBlock.SpinWindow(64_000);
        Throwable t = thrown(() -> SpinningBlock.block(Mono.never(), w, Duration.ofMillis(5).toNanos()));
        assertThat(t).hasMessageContaining("Timeout");
        assertThat(w.current()).isEqualTo(32_000);
        assertThat(SpinningBlock.block(Mono.just(1), w, Long.MAX_VALUE)).isEqualTo(1);
        assertThat(w.current()).isEqualTo(64_000);
        assertThat(new SpinningBlock.SpinWindow(0).enabled()).isFalse();
    }

    /** Which subscriber {@code block()} subscribed with: Reactor's latch, or the spinning one. */
    private static List<String> blockingSubscribers(UringLoop loop, Runnable body) {
        List<String> seen = new CopyOnWriteArrayList<>();
        Hooks.onLastOperator("spinning-block-test", Operators.lift((scannable, sub) -> {
            if (sub.getClass().getSimpleName().contains("Block")) {
                seen.add(sub.getClass().getSimpleName());
            }
            return sub;
        }));
        try {
            body.run();
        } finally {
            Hooks.resetOnLastOperator("spinning-block-test");
        }
        return seen;
    }

    @Test
    void aSpinningLoopsSubmitBlocksBySpinningAndAnotherByReactorsLatch() {
        assumeUring();
        UringLoop spinning = LoopSpinTest.loopWithSpin("block-spin", 50);
        UringLoop plain = LoopSpinTest.loopWithSpin("block-plain", 0);
        try {
            List<String> spun = blockingSubscribers(spinning, () -> {
                for (int i = 0; i < 10_000; i++) {
                    assertThat(spinning.submit(Op.nop()).block()).isZero();
                }
                assertThat(spinning.submit(Op.nop()).block(T)).isZero();
            });
            assertThat(spun).hasSize(10_001).containsOnly("SpinningBlock");
            assertThat(blockingSubscribers(plain, () -> assertThat(plain.submit(Op.nop()).block()).isZero()))
                    .hasSize(1).doesNotContain("SpinningBlock");
            // a kernel error reaches the caller as with Reactor's block(): the mapped exception, marked
            Op badRead = Op.builder(Opcode.READ).fd(1_000_000).build(); // EBADF
            Throwable ours = thrown(() -> spinning.submit(badRead).block());
            Throwable reactors = thrown(() -> plain.submit(badRead).block());
            assertSameFailure(ours, reactors);
            assertThat(Errno.errnoOf(reactor.core.Exceptions.unwrap(ours))).isEqualTo(Errno.EBADF);
        } finally {
            spinning.disposeGracefully().block(T);
            plain.disposeGracefully().block(T);
        }
    }
}
