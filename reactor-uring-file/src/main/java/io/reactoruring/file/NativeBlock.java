package io.reactoruring.file;

import io.reactoruring.core.NativeMemory;
import io.reactoruring.core.internal.Native;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A small block of native memory (NUL-terminated paths, a {@code struct statx}) that the kernel reads
 * or writes during one operation.
 *
 * <p>Why a {@link Cleaner}: core has no "terminal CQE" callback, and a cancelled op may still be
 * using the memory in the kernel. The op holds this object through {@code Op.keepAlive}, which core
 * drops only after the terminal CQE, so "unreachable" implies "the kernel is done with it". On the
 * normal paths (a result or an error that came from a CQE) callers free it eagerly with
 * {@link #free()}; the Cleaner only covers cancellation and loop shutdown. {@code clean()} runs at
 * most once, so eager and Cleaner frees never double-free.
 */
final class NativeBlock {
    private static final Cleaner CLEANER = Cleaner.create();
    /** The charset the JDK uses for file names on this platform (sun.jnu.encoding). */
    private static final Charset FILE_NAME_CHARSET = fileNameCharset();

    private final long address;
    private final int size;
    private final ByteBuffer buffer;
    private final Cleaner.Cleanable cleanable;

    private NativeBlock(int size) {
        this.size = size;
        this.address = NativeMemory.allocate(size, 8);
        this.buffer = Native.wrap(address, size).order(ByteOrder.nativeOrder());
        this.cleanable = CLEANER.register(this, new Free(address, size));
    }

    static NativeBlock allocate(int size) {
        return new NativeBlock(size);
    }

    long address() {
        return address;
    }

    ByteBuffer buffer() {
        return buffer;
    }

    int size() {
        return size;
    }

    /** Frees the memory now; only call once the kernel can no longer touch it. Idempotent. */
    void free() {
        cleanable.clean();
    }

    /** The bytes of {@code path} as the kernel wants them, without the NUL terminator. */
    static byte[] pathBytes(Path path) {
        byte[] bytes = path.toAbsolutePath().toString().getBytes(FILE_NAME_CHARSET);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("path contains a NUL byte: " + path);
            }
        }
        return bytes;
    }

    /** A block holding each path NUL-terminated, one after another; see {@link #offsetOf}. */
    static NativeBlock ofPaths(byte[]... paths) {
        int total = 0;
        for (byte[] p : paths) {
            total += p.length + 1;
        }
        NativeBlock b = new NativeBlock(Math.max(total, 8));
        int pos = 0;
        for (byte[] p : paths) {
            b.buffer.put(pos, p);
            b.buffer.put(pos + p.length, (byte) 0);
            pos += p.length + 1;
        }
        return b;
    }

    /** Offset of the {@code index}-th path written by {@link #ofPaths}. */
    static int offsetOf(int index, byte[]... paths) {
        int pos = 0;
        for (int i = 0; i < index; i++) {
            pos += paths[i].length + 1;
        }
        return pos;
    }

    private static Charset fileNameCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name != null ? Charset.forName(name) : StandardCharsets.UTF_8;
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /** The cleaning action; must not reference the NativeBlock or it would never become unreachable. */
    private static final class Free implements Runnable {
        private final long address;
        private final int size;

        Free(long address, int size) {
            this.address = address;
            this.size = size;
        }

        @Override
        public void run() {
            NativeMemory.free(address, size);
        }
    }
}
