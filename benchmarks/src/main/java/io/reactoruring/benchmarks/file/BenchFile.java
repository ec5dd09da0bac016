package io.reactoruring.benchmarks.file;

import io.reactoruring.core.UringLoop;
import io.reactoruring.file.UringFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The data file the read benchmarks share: {@value #PATH}, 1 GiB of random bytes, created once and
 * reused by later runs. If the file system of /tmp has less than 1 GiB + {@value #MARGIN_GIB} GiB
 * free, 256 MiB are used instead (and said so on stdout). {@link #warm()} reads it once so that the
 * benchmarks measure page-cache reads.
 */
final class BenchFile {
    static final String PATH = "/tmp/reactor-uring-bench.dat";
    static final long FULL = 1L << 30;
    static final long REDUCED = 256L << 20;
    static final long MARGIN_GIB = 2;
    static final int BLOCK = 4096;

    private BenchFile() {
    }

    /** The file, created if absent or of the wrong size; its size is 1 GiB or 256 MiB. */
    static Path ensure() {
        Path p = Path.of(PATH);
        try {
            long free = Files.getFileStore(p.getParent()).getUsableSpace();
            long existing = Files.exists(p) ? Files.size(p) : -1;
            if (existing == FULL || existing == REDUCED && free < FULL + (MARGIN_GIB << 30)) {
                return p;
            }
            long size = free >= FULL + (MARGIN_GIB << 30) ? FULL : REDUCED;
            if (size != FULL) {
                System.out.println("# only " + (free >> 20) + " MiB free on /tmp: using a 256 MiB file instead of 1 GiB");
            }
            write(p, size);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file of exactly {@code size} random bytes at {@code p}, created if absent or of another size. */
    static Path ensure(Path p, long size) {
        try {
            if (!Files.exists(p) || Files.size(p) != size) {
                write(p, size);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, long size) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        byte[] bytes = new byte[1 << 20];
        Random random = new Random(42);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long off = 0; off < size; off += bytes.length) {
                random.nextBytes(bytes);
                chunk.clear().put(bytes).flip();
                while (chunk.hasRemaining()) {
                    ch.write(chunk, off + chunk.position());
                }
            }
        }
    }

    /** Reads the whole file once (page cache) and returns its size. */
    static long warm(Path p) {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(p)) {
            long pos = 0;
            int n;
            while ((n = ch.read(b.clear(), pos)) > 0) {
                pos += n;
            }
            return pos;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code count} random block-aligned offsets within {@code size} (fixed seed: every variant reads the same blocks). */
    static long[] randomOffsets(long size, int count) {
        Random r = new Random(7);
        long blocks = size / BLOCK;
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = (long) (r.nextDouble() * blocks) * BLOCK;
        }
        return out;
    }

    /** Trial tear-down of a benchmark's io_uring side: prints the loop's metrics, closes the file, disposes the loop. */
    static void closeUring(UringLoop loop, UringFile file) {
        System.out.println();
        System.out.println("# loop metrics: " + loop.metrics());
        file.close().block();
        loop.disposeGracefully().block();
    }
}
