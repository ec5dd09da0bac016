package io.reactoruring.file;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.internal.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A small block of native memory (NUL-terminated paths, a {@code struct statx}) that the kernel reads
 * or writes during one operation.
 *
 * <p>Allocate one per subscription (inside {@code Mono.defer}) and hand {@link #free()} to the op's
 * {@code Op.Builder.whenKernelDone} hook: core runs it exactly once, on the loop thread, after the
 * op's terminal CQE (also when the subscriber cancelled) or when the op is dropped before reaching
 * the kernel. So the memory is freed deterministically, without the GC, and never while the kernel
 * may still touch it. (An op the kernel did not complete within the loop's shutdown timeout never
 * runs its hook: its block is leaked on purpose.)
 */
final class NativeBlock {
    /** The charset the JDK uses for file names on this platform (sun.jnu.encoding). */
    private static final Charset FILE_NAME_CHARSET = fileNameCharset();

    private final long address;
    private final int size;
    private final ByteBuffer buffer;
    private final AtomicBoolean freed = new AtomicBoolean();
    /** Blocks allocated and not yet freed, for leak checks in tests. */
    private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();

    private NativeBlock(int size) {
        this.size = size;
        this.address = NativeMemory.allocate(size, 8);
        this.buffer = Native.wrap(address, size).order(ByteOrder.nativeOrder());
        LIVE.incrementAndGet();
    }

    /** Blocks allocated and not yet freed, in this JVM. */
    static long live() {
        return LIVE.get();
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
        if (freed.compareAndSet(false, true)) {
            NativeMemory.free(address, size);
            LIVE.decrementAndGet();
        }
    }

    /** The bytes of {@code path} as the kernel wants them, without the NUL terminator. */
    static byte[] pathBytes(Path path) {
        return rawPathBytes(path.toAbsolutePath());
    }

    /** The bytes of {@code path} as given (relative paths stay relative), without the NUL terminator. */
    static byte[] rawPathBytes(Path path) {
        byte[] bytes = path.toString().getBytes(FILE_NAME_CHARSET);
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
}
