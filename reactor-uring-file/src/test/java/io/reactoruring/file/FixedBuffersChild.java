package io.reactoruring.file;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import reactor.core.publisher.Flux;

/**
 * Child of {@link FixedBuffersTest}: under a memlock limit that admits a small ring but not a 64 KiB
 * registered buffer, pooled writes and reads of a loop still work, unregistered.
 */
public final class FixedBuffersChild {
    private FixedBuffersChild() {
    }

    public static void main(String[] args) throws Exception {
        Duration t = Duration.ofSeconds(30);
        UringLoop loop = UringLoop.create("child", RingOptions.defaults().sqEntries(8));
        byte[] data = new byte[256 << 10];
        new Random(5).nextBytes(data);
        Path p = Path.of(args[0]).resolve("child-data");
        UringFile f = UringFiles.open(loop, p, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)).block(t);
        for (int round = 0; round < 3; round++) {
            long n = f.writeAll(Flux.range(0, 4).map(i -> ByteBuffer.wrap(data, i << 16, 1 << 16)), 0, 2).block(t);
            check(n == data.length, "written");
            check(Arrays.equals(Files.readAllBytes(p), data), "file content");
            byte[] read = new byte[data.length];
            int[] at = {0};
            f.readChunks(0, Long.MAX_VALUE, 1 << 16, 2).doOnNext(b -> {
                int k = b.buffer().remaining();
                b.buffer().get(read, at[0], k);
                at[0] += k;
                b.release();
            }).blockLast(t);
            check(Arrays.equals(read, data), "read back");
        }
        f.close().block(t);
        System.out.println("fixedBufferOps=" + loop.metrics().fixedBufferOps());
        check(loop.bufferPool().outstanding() == 0, "buffers released");
        loop.disposeGracefully().block(t);
        System.out.println("CHILD OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
