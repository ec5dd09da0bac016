package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The detector can fail: a forgotten buffer or native block is reported, a released one is not. */
class LeakDetectorTest {
    private static UringLoop loop;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("leak-detector-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(Duration.ofSeconds(10));
    }

    /** A short bounded await: the leaks below never go away by themselves. */
    private static void await(BooleanSupplier condition) {
        for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(Duration.ofSeconds(10));
        }
    }

    @Test
    void reportsAForgottenBuffer() {
        LeakDetector detector = new LeakDetector(loop::bufferPool, LeakDetectorTest::await);
        detector.start();
        PooledBuffer forgotten = loop.bufferPool().acquire(100);
        assertThatThrownBy(detector::verify).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 pooled buffer(s) not released");
        forgotten.release();
        detector.verify();
    }

    @Test
    void reportsAForgottenNativeBlock() {
        LeakDetector detector = new LeakDetector(loop::bufferPool, LeakDetectorTest::await);
        detector.start();
        NativeBlock forgotten = NativeBlock.allocate(64);
        assertThatThrownBy(detector::verify).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 native block(s) not freed");
        forgotten.free();
        detector.verify();
    }

    @Test
    void waitsForReleasesThatHappenOnTheLoop() {
        LeakDetector detector = new LeakDetector(loop::bufferPool, LeakDetectorTest::await);
        detector.start();
        PooledBuffer released = loop.bufferPool().acquire(100);
        loop.execute(released::release); // released later, on the loop thread
        detector.verify();
        assertThat(loop.bufferPool().outstanding()).isZero();
    }
}
