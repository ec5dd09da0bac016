package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Issue 13, the latency paths: after delivering completions, with nothing in the kernel, a loop polls
 * its inbox for a while before sleeping, so that a caller's next op (a {@code block()}ing thread, a
 * completion handler) is found without an eventfd wake-up. Counts only, no timings: the spin window
 * is made so long (10 s) that a foreign thread's next op always lands in it.
 */
class LoopSpinTest {
    static final Duration T = Duration.ofSeconds(30);

    /** A loop created with {@link LoopDriver#SPIN_PROPERTY} set to {@code micros} (the property restored after). */
    static UringLoop loopWithSpin(String name, long micros) {
        String old = System.getProperty(LoopDriver.SPIN_PROPERTY);
        System.setProperty(LoopDriver.SPIN_PROPERTY, Long.toString(micros));
        try {
            return UringLoop.create(name);
        } finally {
            if (old == null) {
                System.clearProperty(LoopDriver.SPIN_PROPERTY);
            } else {
                System.setProperty(LoopDriver.SPIN_PROPERTY, old);
            }
        }
    }

    private static long onLoop(UringLoop loop, Supplier<Long> s) {
        return Mono.fromSupplier(s).subscribeOn(loop).block(T);
    }

    /** Some milliseconds of work between two ops: long enough that the caller really comes back later. */
    private static long work(long seed) {
        long x = seed;
        for (int i = 0; i < 2_000_000; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    @Test
    void aForeignThreadsNextOpIsFoundBySpinningWithoutAWakeup() {
        assumeUring();
        UringLoop spinning = loopWithSpin("spin-test", 10_000_000);
        UringLoop sleeping = loopWithSpin("no-spin-test", 0);
        try {
            int n = 50;
            long sink = 0;
            long[] signals = new long[2];
            UringLoop[] loops = {spinning, sleeping};
            for (int l = 0; l < 2; l++) {
                UringLoop loop = loops[l];
                loop.submit(Op.nop()).block(T); // from here on the loop's last iteration delivered a completion
                long before = loop.wakeSignals();
                for (int i = 0; i < n; i++) {
                    sink += work(i);
                    assertThat(loop.submit(Op.nop()).block(T)).isZero();
                }
                signals[l] = loop.wakeSignals() - before;
            }
            assertThat(signals[0]).as("the spinning loop was never woken through its eventfd").isZero();
            assertThat(onLoop(spinning, spinning::spinHits)).as("ops found by spinning").isPositive();
            assertThat(signals[1]).as("the loop that sleeps at once needed wake-ups (sink %d)", sink).isPositive();
            assertThat(onLoop(sleeping, sleeping::spinHits)).isZero();
        } finally {
            // Disposing ends a spin at once (else this would take 10 s, or hang).
            spinning.disposeGracefully().block(T);
            sleeping.disposeGracefully().block(T);
        }
    }

    @Test
    void noSpinWhileAnOpIsInTheKernelNorWhenTurnedOffNorByDefault() {
        assumeUring();
        UringLoop busy = loopWithSpin("spin-busy", 10_000_000);
        UringLoop off = loopWithSpin("spin-off", 0);
        String set = System.clearProperty(LoopDriver.SPIN_PROPERTY);
        UringLoop byDefault = UringLoop.create("spin-default"); // off unless asked for
        if (set != null) {
            System.setProperty(LoopDriver.SPIN_PROPERTY, set);
        }
        try {
            // An armed 1-hour timer: its completion must never wait for a spin, so the loop never spins.
            Disposable timer = busy.submit(Op.timeout(Duration.ofHours(1))).subscribe();
            List<UringLoop> loops = new ArrayList<>(List.of(busy, off, byDefault));
            for (UringLoop loop : loops) {
                for (int i = 0; i < 100; i++) {
                    loop.submit(Op.nop()).block(T);
                }
                assertThat(onLoop(loop, loop::spinHits)).as(loop.name()).isZero();
            }
            timer.dispose();
        } finally {
            busy.disposeGracefully().block(T);
            off.disposeGracefully().block(T);
            byDefault.disposeGracefully().block(T);
        }
    }

    @Test
    void theSpinWindowHalvesOnEachMissDownToASixteenthAndAHitRestoresIt() {
        long max = 50_000;
        long w = max;
        List<Long> windows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            w = LoopDriver.nextSpinWindow(w, max, false);
            windows.add(w);
        }
        assertThat(windows).containsExactly(25_000L, 12_500L, 6_250L, 3_125L, 3_125L, 3_125L);
        assertThat(LoopDriver.nextSpinWindow(w, max, true)).isEqualTo(max);
        assertThat(LoopDriver.nextSpinWindow(0, 0, false)).isZero();
    }

    @Test
    void aLoopDisposedWhileSpinningTerminates() {
        assumeUring();
        for (int i = 0; i < 20; i++) {
            UringLoop loop = loopWithSpin("spin-dispose", 10_000_000);
            loop.submit(Op.nop()).block(T); // the loop now polls its inbox for 10 s
            loop.disposeGracefully().block(T);
            assertThat(loop.isDisposed()).isTrue();
        }
    }
}
