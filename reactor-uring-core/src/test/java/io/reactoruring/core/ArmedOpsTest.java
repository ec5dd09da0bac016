package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Issue 10 item 1: ops that stay armed (multishot timers here; idle connections' multishot receives
 * in real servers) must not starve short ops. On a loop whose in-flight bound counted armed ops,
 * 1,792 of them froze the loop for everyone.
 */
class ArmedOpsTest {
    private static final int ARMED = 20_000;
    private static final int NOPS = 100_000;

    @Test
    void twentyThousandArmedMultishotOpsDoNotStarveNopsOrAFileRead(@TempDir Path dir) throws Exception {
        assumeUring();
        UringLoop loop = UringLoop.create("armed-ops-test"); // default options
        List<Disposable> armed = new ArrayList<>(ARMED);
        AtomicLong expiries = new AtomicLong();
        try {
            for (int i = 0; i < ARMED; i++) {
                armed.add(loop.submitMultishot(Op.timeoutMultishot(Duration.ofHours(1), 0))
                        .subscribe(c -> expiries.incrementAndGet()));
            }
            // The ops wait in one line: once a NOP queued after them completes, all are in the kernel.
            assertThat(loop.submit(Op.nop()).block(Duration.ofSeconds(30))).isZero();
            UringMetrics armedMetrics = TestSupport.liveMetrics(loop);
            assertThat(armedMetrics.inFlight()).as("every multishot op is armed").isGreaterThanOrEqualTo(ARMED);
            assertThat(armedMetrics.waiting()).isZero();

            // A NOP's round trip while they are armed: the best of three series' medians.
            long best = Long.MAX_VALUE;
            for (int series = 0; series < 3; series++) {
                long[] nanos = new long[21];
                for (int i = 0; i < nanos.length; i++) {
                    long t0 = System.nanoTime();
                    loop.submit(Op.nop()).block(Duration.ofSeconds(30));
                    nanos[i] = System.nanoTime() - t0;
                }
                Arrays.sort(nanos);
                best = Math.min(best, nanos[nanos.length / 2]);
            }
            assertThat(Duration.ofNanos(best)).as("NOP round trip with %d armed ops", ARMED)
                    .isLessThan(Duration.ofMillis(50));

            // 100,000 NOPs and a file read on the same loop, at the same time.
            byte[] content = "the file read completes beside 20,000 armed ops\n".getBytes(StandardCharsets.UTF_8);
            Path file = Files.write(dir.resolve("f"), content);
            Mono<Long> nops = loop.submitAll(Flux.range(0, NOPS).map(i -> Op.nop()), 4096).count();
            Mono<String> read = readFile(loop, file, content.length);
            var both = Mono.zip(nops, read).block(Duration.ofSeconds(60));
            assertThat(both).isNotNull();
            assertThat(both.getT1()).isEqualTo(NOPS);
            assertThat(both.getT2()).isEqualTo(new String(content, StandardCharsets.UTF_8));
            assertThat(expiries.get()).as("no hour-long timer fired").isZero();
        } finally {
            armed.forEach(Disposable::dispose);
            assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == 0))
                    .as("cancelled multishot ops leave the kernel").isTrue();
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    /** openat + read + close, each an io_uring op on {@code loop}. */
    private static Mono<String> readFile(UringLoop loop, Path file, int length) {
        return Mono.usingWhen(Mono.fromCallable(() -> new TestSupport.CPath(file)),
                path -> loop.submit(TestSupport.openat(path, 02000000, 0)) // O_RDONLY|O_CLOEXEC
                        .flatMap(fd -> {
                            PooledBuffer buffer = loop.bufferPool().acquire(length);
                            Op readOp = Op.builder(Opcode.READ).fd(fd).addr(buffer.address()).length(length)
                                    .offset(0).keepAlive(buffer).build();
                            return loop.submit(readOp)
                                    .map(n -> {
                                        byte[] bytes = new byte[n];
                                        buffer.buffer().get(0, bytes);
                                        return new String(bytes, StandardCharsets.UTF_8);
                                    })
                                    .doFinally(s -> buffer.release())
                                    .flatMap(s -> loop.submit(Op.close(fd)).thenReturn(s));
                        }),
                path -> Mono.fromRunnable(path::close));
    }
}
