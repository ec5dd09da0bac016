package io.reactoruring.spring;

import io.reactoruring.core.Op;
import io.reactoruring.core.UringLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Shared helpers: deterministic content, open-fd counts, and bounded waits through the loop. */
final class TestSupport {
    static final Duration T = Duration.ofSeconds(20);

    private TestSupport() {
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Path write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Round trips through {@code loop} until {@code condition} holds (at most 10,000): release hooks
     * and fd closes run on the loop thread right after the op's signal. No sleeps.
     */
    static void awaitOnLoop(UringLoop loop, String what, BooleanSupplier condition) {
        awaitOnLoop(loop, 10_000, what, condition);
    }

    /** {@link #awaitOnLoop(UringLoop, String, BooleanSupplier)} with a caller-chosen bound on round trips. */
    static void awaitOnLoop(UringLoop loop, int maxRoundTrips, String what, BooleanSupplier condition) {
        for (int i = 0; i < maxRoundTrips; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            loop.submit(Op.nop()).block(T);
        }
        throw new AssertionError("not reached: " + what);
    }
}
