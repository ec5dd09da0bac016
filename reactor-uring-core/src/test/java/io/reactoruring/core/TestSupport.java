package io.reactoruring.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

final class TestSupport {
    static final int AT_FDCWD = -100;

    private TestSupport() {
    }

    /** Skips where io_uring is unavailable; .ci/run sets REACTORURING_REQUIRE=true so CI never skips. */
    static void assumeUring() {
        assumeTrue(Uring.isAvailable(), () -> "io_uring unavailable: " + Uring.unavailabilityCause());
    }

    /** A NUL-terminated path in native memory, freed when the returned owner is closed. */
    static final class CPath implements AutoCloseable {
        final long address;
        final int size;

        CPath(Path path) {
            byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
            size = bytes.length + 1;
            address = NativeMemory.allocate(size, 8);
            ByteBuffer b = Native.wrap(address, size);
            b.put(bytes).put((byte) 0);
        }

        @Override
        public void close() {
            NativeMemory.free(address, size);
        }
    }

    static Op openat(CPath path, int flags, int mode) {
        return Op.builder(Opcode.OPENAT).fd(AT_FDCWD).addr(path.address).length(mode).opFlags(flags)
                .closesOrphanedFd(true).keepAlive(path).build();
    }


    /**
     * The loop's counters read on its own thread: the current values. Off the loop, metrics() is the
     * snapshot taken at the end of the last iteration, after that iteration delivered its completions,
     * so a caller woken by a completion can still see the previous iteration's counters.
     */
    static UringMetrics liveMetrics(UringLoop loop) {
        return reactor.core.publisher.Mono.fromCallable(loop::metrics).subscribeOn(loop)
                .block(java.time.Duration.ofSeconds(10));
    }

    /** Round trips through {@code loop} until {@code condition} holds: {@link io.reactoruring.core.testing.Poll#untilOnLoop}. */
    static boolean awaitOnLoop(UringLoop loop, BooleanSupplier condition) {
        return io.reactoruring.core.testing.Poll.untilOnLoop(loop, condition);
    }
}
