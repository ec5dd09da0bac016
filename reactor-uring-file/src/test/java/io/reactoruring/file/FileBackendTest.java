package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.Errno;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.UringError;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.internal.Native;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Behaviour every back end must show identically: each test runs once on io_uring
 * ({@link UringFileTest}) and once on the NIO fallback ({@link NioFileTest}).
 */
abstract class FileBackendTest {
    static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** Every test must return the pooled buffers and native blocks it used. */
    @RegisterExtension
    final LeakDetector leaks = new LeakDetector(this::pool, c -> awaitReleasedQuietly(c));

    /** The back end under test. */
    abstract PathOps ops();

    /** The pool its files take buffers from. */
    abstract BufferPool pool();

    /**
     * Waits until {@code condition} holds for effects that run just after a signal (release hooks):
     * round trips through the loop for io_uring; NIO runs them before its call ends, and closing a
     * file waits for its calls, so after a close they have run.
     */
    abstract void awaitReleased(String what, BooleanSupplier condition);

    /** Like {@link #awaitReleased} but returns when the condition still does not hold (the detector reports it). */
    abstract void awaitReleasedQuietly(BooleanSupplier condition);

    UringFile open(Path p, OpenOption... options) {
        return ops().open(p, OpenSpec.of(Set.of(options))).block(T);
    }

    Mono<UringFile> opening(Path p, OpenOption... options) {
        return ops().open(p, OpenSpec.of(Set.of(options)));
    }

    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        return b;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void append(ByteArrayOutputStream out, PooledBuffer b) {
        try {
            ByteBuffer bb = b.buffer();
            byte[] bytes = new byte[bb.remaining()];
            bb.get(bytes);
            out.writeBytes(bytes);
        } finally {
            b.release();
        }
    }

    static byte[] collect(Flux<PooledBuffer> flux) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        flux.doOnNext(b -> append(out, b)).then().block(T);
        return out.toByteArray();
    }

    /** The process umask, from /proc/self/status (Linux 4.7+). */
    static int umask() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Umask:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        throw new IllegalStateException("no Umask line in /proc/self/status");
    }

    @Test
    void writeThenReadRoundTrip() throws Exception {
        Path p = dir.resolve("a.txt");
        byte[] data = "hello, io_uring".getBytes(StandardCharsets.UTF_8);
        UringFile f = open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ByteBuffer src = direct(data);
        StepVerifier.create(f.write(src, 0)).expectNext(data.length).expectComplete().verify(T);
        assertThat(src.hasRemaining()).isFalse();
        StepVerifier.create(f.fdatasync().then(f.fsync())).expectComplete().verify(T);
        assertThat(Files.readAllBytes(p)).isEqualTo(data);

        ByteBuffer dst = ByteBuffer.allocateDirect(64);
        StepVerifier.create(f.read(dst, 7)).expectNext(data.length - 7).expectComplete().verify(T);
        dst.flip();
        assertThat(StandardCharsets.UTF_8.decode(dst).toString()).isEqualTo("io_uring");
        StepVerifier.create(f.close()).expectComplete().verify(T);
    }

    @Test
    void truncateCutsAndExtendsAndRejectsMisuse() throws Exception {
        Path p = dir.resolve("t");
        Files.write(p, random(10_000, 3));
        UringFile rw = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        StepVerifier.create(rw.truncate(100)).expectComplete().verify(T);
        assertThat(Files.size(p)).isEqualTo(100);
        StepVerifier.create(rw.truncate(4096).then(rw.size())).expectNext(4096L).expectComplete().verify(T);
        assertThat(Files.readAllBytes(p)).endsWith(new byte[4096 - 100]);
        StepVerifier.create(rw.truncate(-1)).expectError(IllegalArgumentException.class).verify(T);
        rw.close().block(T);

        UringFile ro = open(p, StandardOpenOption.READ);
        StepVerifier.create(ro.truncate(0)).expectError(NonWritableChannelException.class).verify(T);
        ro.close().block(T);
        assertThat(Files.size(p)).isEqualTo(4096);
    }

    @Test
    void readAtEofEmitsMinusOneAndFullBufferEmitsZero() throws Exception {
        Path p = dir.resolve("small");
        Files.write(p, new byte[] {1, 2, 3});
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(8), 3)).expectNext(-1).expectComplete().verify(T);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(8), 100)).expectNext(-1).expectComplete().verify(T);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(0), 0)).expectNext(0).expectComplete().verify(T);
        f.close().block(T);
    }

    @Test
    void openMissingFileFailsWithNoSuchFile() {
        StepVerifier.create(opening(dir.resolve("missing"), StandardOpenOption.READ))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(NoSuchFileException.class)
                        .hasMessageContaining("missing"))
                .verify(T);
    }

    @Test
    void createNewOnExistingFileFails() throws Exception {
        Path p = Files.createFile(dir.resolve("exists"));
        StepVerifier.create(opening(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
                .expectError(FileAlreadyExistsException.class)
                .verify(T);
    }

    @Test
    void createTruncateAndAppendBehaveLikeNio() throws Exception {
        Path p = dir.resolve("modes");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        f.write(direct(new byte[] {1, 2, 3, 4}), 0).block(T);
        f.close().block(T);
        UringFile a = open(p, StandardOpenOption.APPEND);
        assertThat(a.isReadable()).isFalse();
        a.write(direct(new byte[] {5}), 0).block(T); // position ignored: O_APPEND
        a.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(1, 2, 3, 4, 5);
        UringFile t = open(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        t.close().block(T);
        assertThat(Files.size(p)).isZero();
    }

    @Test
    void openDirectoryForWriteFails() {
        StepVerifier.create(opening(dir, StandardOpenOption.WRITE))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class)
                        .isNotInstanceOf(NoSuchFileException.class))
                .verify(T);
    }

    /** A directory opens read-only (as open(2) allows), but reading it fails with EISDIR, a FileSystemException. */
    @Test
    void readingADirectoryOpenedAsAFileFailsWithEisdir() {
        UringFile d = open(dir, StandardOpenOption.READ);
        StepVerifier.create(d.read(ByteBuffer.allocateDirect(16), 0))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class)
                        .isInstanceOf(UringError.class)
                        .hasMessageContaining("EISDIR"))
                .verify(T);
        d.close().block(T);
    }

    /**
     * Permission denied although the tests run as root: procfs sysctl files apply their mode bits
     * to root too, so opening the read-only (0444) kernel/osrelease for writing fails with EACCES.
     */
    @Test
    void openingForWriteWithoutPermissionFailsWithAccessDenied() {
        Path ro = Path.of("/proc/sys/kernel/osrelease");
        assumeTrue(Files.exists(ro), "no /proc/sys/kernel/osrelease");
        Throwable e = opening(ro, StandardOpenOption.WRITE).map(f -> (Throwable) new AssertionError("opened " + f))
                .onErrorResume(Mono::just).block(T);
        // A read-only /proc/sys mount (some containers) answers EROFS before the permission check.
        assumeTrue(!(e instanceof FileSystemException) || !String.valueOf(e.getMessage()).contains("Read-only"),
                "/proc/sys is mounted read-only here");
        assertThat(e).isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void invalidOptionsAreRejectedAtCallTime() {
        Path p = dir.resolve("x");
        assertThatThrownBy(() -> opening(p, StandardOpenOption.READ, StandardOpenOption.APPEND))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> opening(p, StandardOpenOption.DELETE_ON_CLOSE))
                .isInstanceOf(UnsupportedOperationException.class);
        FileAttribute<String> owner = new FileAttribute<>() {
            @Override
            public String name() {
                return "posix:owner";
            }

            @Override
            public String value() {
                return "root";
            }
        };
        assertThatThrownBy(() -> ops().open(p, OpenSpec.of(Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                owner))).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Files.exists(p)).isFalse();
    }

    @Test
    void wrongModeAndBadArgumentsAreRejectedBeforeTheKernel() throws Exception {
        Path p = Files.write(dir.resolve("ro"), new byte[] {1});
        UringFile ro = open(p, StandardOpenOption.READ);
        assertThatThrownBy(() -> ro.write(direct(new byte[] {9}), 0)).isInstanceOf(NonWritableChannelException.class);
        assertThatThrownBy(() -> ro.writeAll(Flux.empty(), 0, 1)).isInstanceOf(NonWritableChannelException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocateDirect(1), -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocate(1), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocateDirect(1).asReadOnlyBuffer(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, -1, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(-1, 1, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, 1, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        ro.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(1);

        UringFile wo = open(p, StandardOpenOption.WRITE);
        assertThatThrownBy(() -> wo.read(ByteBuffer.allocateDirect(1), 0)).isInstanceOf(NonReadableChannelException.class);
        assertThatThrownBy(() -> wo.write(ByteBuffer.wrap(new byte[1]), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.write(direct(new byte[1]), -5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.writeAll(Flux.empty(), -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.writeAll(Flux.empty(), 0, 0)).isInstanceOf(IllegalArgumentException.class);
        wo.close().block(T);
    }

    @Test
    void closedHandleFailsWithClosedChannel() throws Exception {
        Path p = Files.write(dir.resolve("c"), new byte[] {1, 2});
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.close()).expectComplete().verify(T);
        assertThat(f.isClosing()).isTrue();
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(2), 0)).expectError(ClosedChannelException.class).verify(T);
        StepVerifier.create(f.size()).expectError(ClosedChannelException.class).verify(T);
        StepVerifier.create(f.fadvise(0, 0, FileAdvice.RANDOM)).expectError(ClosedChannelException.class).verify(T);
        StepVerifier.create(f.close()).expectComplete().verify(T); // idempotent
    }

    @Test
    void statMatchesTheFile() throws Exception {
        Path p = Files.write(dir.resolve("s"), random(12345, 1));
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.size()).expectNext(12345L).expectComplete().verify(T);
        FileStat st = f.stat().block(T);
        assertThat(st.isRegularFile()).isTrue();
        assertThat(st.mode() & 07777).isEqualTo(toMode(Files.getPosixFilePermissions(p)));
        assertThat(st.lastModified()).isEqualTo(Files.getLastModifiedTime(p).toInstant());
        assertThat(st.blockSize()).isPositive();
        f.close().block(T);
        FileStat ds = ops().stat(dir).block(T);
        assertThat(ds.isDirectory()).isTrue();
        StepVerifier.create(ops().stat(dir.resolve("nope"))).expectError(NoSuchFileException.class).verify(T);
    }

    static int toMode(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 0400 >> p.ordinal();
        }
        return mode;
    }

    @Test
    void readChunksEqualsFileContentUnderBoundedDemand() throws Exception {
        byte[] data = random(3 * 1024 * 1024 + 777, 2);
        Path p = Files.write(dir.resolve("big"), data);
        UringFile f = open(p, StandardOpenOption.READ);
        long before = pool().outstanding();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = 64 * 1024;
        int chunks = (data.length + chunk - 1) / chunk;
        StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, chunk, 4), 0)
                .thenRequest(1)
                .assertNext(b -> {
                    assertThat(b.buffer().remaining()).isEqualTo(chunk);
                    append(out, b);
                })
                .expectNoEvent(Duration.ofMillis(50)) // demand is honoured: nothing beyond what was asked
                .thenRequest(chunks - 1)
                .thenConsumeWhile(b -> {
                    append(out, b);
                    return true;
                })
                .expectComplete()
                .verify(T);
        assertThat(out.toByteArray()).isEqualTo(data);
        f.close().block(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    @Test
    void readChunksOfARangeAndReadAll() throws Exception {
        byte[] data = random(100_000, 3);
        Path p = Files.write(dir.resolve("range"), data);
        long before = pool().outstanding();
        UringFile f = open(p, StandardOpenOption.READ);
        byte[] got = collect(f.readChunks(1000, 5000, 1024, 2));
        assertThat(got).isEqualTo(Arrays.copyOfRange(data, 1000, 6000));
        assertThat(collect(f.readChunks(99_990, 5000, 1024, 2))).isEqualTo(Arrays.copyOfRange(data, 99_990, 100_000));
        assertThat(collect(f.readChunks(200_000, 10, 1024, 2))).isEmpty();
        f.close().block(T);
        assertThat(collect(UringFiles.readAll(ops(), p, 8192))).isEqualTo(data);
        assertThat(collect(UringFiles.readAll(ops(), Files.createFile(dir.resolve("empty")), 8192))).isEmpty();
        StepVerifier.create(UringFiles.readAll(ops(), dir.resolve("absent"), 8192)).expectError(NoSuchFileException.class)
                .verify(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    @Test
    void cancelMidStreamReturnsEveryBuffer() throws Exception {
        byte[] data = random(4 * 1024 * 1024, 4);
        Path p = Files.write(dir.resolve("cancel"), data);
        long before = pool().outstanding();
        UringFile f = open(p, StandardOpenOption.READ);
        List<PooledBuffer> received = new ArrayList<>();
        StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, 16 * 1024, 8), 3)
                .recordWith(() -> received)
                .expectNextCount(3)
                .thenCancel()
                .verify(T);
        received.forEach(PooledBuffer::release);
        // Reads still in flight release their buffers when done; closing the file waits for every op
        // holding it, so after close each such op has finished.
        StepVerifier.create(f.close()).expectComplete().verify(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    @Test
    void writeAllWritesInOrderWithHeapAndDirectBuffers() throws Exception {
        byte[] data = random(1_000_000, 5);
        Path p = dir.resolve("out");
        long before = pool().outstanding();
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        List<ByteBuffer> pieces = new ArrayList<>();
        int off = 0;
        int i = 0;
        while (off < data.length) {
            int n = Math.min(data.length - off, 10_000 + (i * 7919) % 50_000);
            ByteBuffer b = i % 2 == 0 ? ByteBuffer.wrap(data, off, n).slice() : direct(Arrays.copyOfRange(data, off, off + n));
            pieces.add(b);
            off += n;
            i++;
        }
        StepVerifier.create(f.writeAll(Flux.fromIterable(pieces), 10, 4)).expectNext((long) data.length).expectComplete()
                .verify(T);
        StepVerifier.create(f.size()).expectNext(10L + data.length).expectComplete().verify(T);
        f.close().block(T);
        byte[] onDisk = Files.readAllBytes(p);
        assertThat(Arrays.copyOfRange(onDisk, 10, onDisk.length)).isEqualTo(data);
        assertThat(Arrays.copyOfRange(onDisk, 0, 10)).containsOnly(0);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    @Test
    void writeAllPropagatesSourceErrors() throws Exception {
        Path p = dir.resolve("err");
        long before = pool().outstanding();
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        Flux<ByteBuffer> src = Flux.concat(Mono.just(ByteBuffer.wrap(new byte[] {1, 2})),
                Mono.error(new IllegalStateException("boom")));
        StepVerifier.create(f.writeAll(src, 0, 2)).expectErrorMessage("boom").verify(T);
        f.close().block(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    @Test
    void pathOperations() throws Exception {
        Path d = dir.resolve("sub");
        long blocks = NativeMemory.allocatedBlocks();
        StepVerifier.create(ops().createDirectory(d)).expectComplete().verify(T);
        assertThat(Files.isDirectory(d)).isTrue();
        StepVerifier.create(ops().createDirectory(d)).expectError(FileAlreadyExistsException.class).verify(T);

        Path a = Files.write(d.resolve("a"), new byte[] {42});
        Path b = d.resolve("b");
        StepVerifier.create(ops().move(a, b)).expectComplete().verify(T);
        assertThat(Files.exists(a)).isFalse();
        assertThat(Files.readAllBytes(b)).containsExactly(42);
        StepVerifier.create(ops().move(a, b)).expectError(NoSuchFileException.class).verify(T);

        StepVerifier.create(ops().delete(d, true)).expectError(DirectoryNotEmptyException.class).verify(T);
        StepVerifier.create(ops().delete(d, false))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class).hasMessageContaining("EISDIR"))
                .verify(T);
        StepVerifier.create(ops().delete(b, true)).expectError(NotDirectoryException.class).verify(T);
        StepVerifier.create(ops().delete(b, false)).expectComplete().verify(T);
        assertThat(Files.exists(b)).isFalse();
        StepVerifier.create(ops().delete(b, false)).expectError(NoSuchFileException.class).verify(T);
        StepVerifier.create(ops().delete(d, true)).expectComplete().verify(T);
        assertThat(Files.exists(d)).isFalse();
        // Every native path copy was freed on these success and error paths, without waiting for GC.
        awaitReleased("path blocks freed", () -> NativeMemory.allocatedBlocks() == blocks);
    }

    // ------------------------------------------------------------------ vectored I/O

    @Test
    void writevGathersAndReadvScattersAtAPosition() throws Exception {
        Path p = dir.resolve("vec");
        UringFile f = open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ByteBuffer a = direct("hello ".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer empty = ByteBuffer.allocateDirect(0);
        ByteBuffer b = direct("vectored ".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer c = direct("world".getBytes(StandardCharsets.US_ASCII));
        StepVerifier.create(f.writev(new ByteBuffer[] {a, empty, b, c}, 3)).expectNext(20L).expectComplete().verify(T);
        assertThat(a.hasRemaining() || b.hasRemaining() || c.hasRemaining()).isFalse();
        assertThat(new String(Files.readAllBytes(p), StandardCharsets.US_ASCII)).isEqualTo("\0\0\0hello vectored world");

        ByteBuffer x = ByteBuffer.allocateDirect(4);
        ByteBuffer y = ByteBuffer.allocateDirect(100);
        StepVerifier.create(f.readv(new ByteBuffer[] {x, y}, 9)).expectNext(14L).expectComplete().verify(T);
        assertThat(x.position()).isEqualTo(4);
        assertThat(y.position()).isEqualTo(10);
        assertThat(StandardCharsets.US_ASCII.decode(x.flip()).toString()).isEqualTo("vect");
        assertThat(StandardCharsets.US_ASCII.decode(y.flip()).toString()).isEqualTo("ored world");
        // At end of file -1; no room at all 0, without a call.
        StepVerifier.create(f.readv(new ByteBuffer[] {ByteBuffer.allocateDirect(8)}, 23)).expectNext(-1L)
                .expectComplete().verify(T);
        StepVerifier.create(f.readv(new ByteBuffer[] {ByteBuffer.allocateDirect(0)}, 0)).expectNext(0L)
                .expectComplete().verify(T);
        f.close().block(T);
    }

    @Test
    void vectoredIoRejectsBadInputBeforeTheKernel() throws Exception {
        Path p = Files.write(dir.resolve("vbad"), new byte[10]);
        UringFile ro = open(p, StandardOpenOption.READ);
        ByteBuffer ok = ByteBuffer.allocateDirect(4);
        assertThatThrownBy(() -> ro.readv(null, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[0], 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[UringFile.MAX_VECTORS + 1], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[] {ok, null}, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[] {ok, ByteBuffer.allocate(4)}, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[] {ok.asReadOnlyBuffer()}, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readv(new ByteBuffer[] {ok}, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.writev(new ByteBuffer[] {ok}, 0)).isInstanceOf(NonWritableChannelException.class);
        ro.close().block(T);
        UringFile wo = open(p, StandardOpenOption.WRITE);
        assertThatThrownBy(() -> wo.readv(new ByteBuffer[] {ok}, 0)).isInstanceOf(NonReadableChannelException.class);
        assertThatThrownBy(() -> wo.writev(new ByteBuffer[] {ByteBuffer.wrap(new byte[1])}, 0))
                .isInstanceOf(IllegalArgumentException.class);
        wo.close().block(T);
        assertThat(Files.readAllBytes(p)).containsOnly(0);
    }

    // ------------------------------------------------------------------ range ops

    @Test
    void fallocateModesHaveTheirVisibleEffect() throws Exception {
        Path p = Files.write(dir.resolve("falloc"), random(8192, 9));
        UringFile f = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        StepVerifier.create(f.fallocate(FallocateMode.KEEP_SIZE, 0, 65536)).expectComplete().verify(T);
        assertThat(Files.size(p)).isEqualTo(8192);
        StepVerifier.create(f.fallocate(FallocateMode.ALLOCATE, 4096, 12288)).expectComplete().verify(T);
        assertThat(Files.size(p)).isEqualTo(16384);
        StepVerifier.create(f.fallocate(FallocateMode.PUNCH_HOLE, 0, 4096)).expectComplete().verify(T);
        byte[] now = Files.readAllBytes(p);
        assertThat(now).hasSize(16384);
        assertThat(Arrays.copyOfRange(now, 0, 4096)).containsOnly(0);
        assertThat(Arrays.copyOfRange(now, 4096, 8192)).isEqualTo(Arrays.copyOfRange(random(8192, 9), 4096, 8192));
        StepVerifier.create(f.fallocate(FallocateMode.ZERO_RANGE, 4096, 20480)).expectComplete().verify(T);
        now = Files.readAllBytes(p);
        assertThat(now).hasSize(24576).containsOnly(0);
        assertThatThrownBy(() -> f.fallocate(FallocateMode.ALLOCATE, -1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fallocate(FallocateMode.ALLOCATE, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fallocate(FallocateMode.ALLOCATE, Long.MAX_VALUE, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fallocate(null, 0, 1)).isInstanceOf(NullPointerException.class);
        f.close().block(T);
        UringFile ro = open(p, StandardOpenOption.READ);
        assertThatThrownBy(() -> ro.fallocate(FallocateMode.ALLOCATE, 0, 1)).isInstanceOf(NonWritableChannelException.class);
        ro.close().block(T);
    }

    @Test
    void syncFileRangeAndFadviseCompleteAndRejectBadInput() throws Exception {
        Path p = dir.resolve("range-ops");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        f.write(direct(random(20_000, 11)), 0).block(T);
        StepVerifier.create(f.syncFileRange(0, 0, UringFile.SYNC_FILE_RANGE_WAIT_BEFORE | UringFile.SYNC_FILE_RANGE_WRITE
                | UringFile.SYNC_FILE_RANGE_WAIT_AFTER)).expectComplete().verify(T);
        StepVerifier.create(f.syncFileRange(4096, 4096, UringFile.SYNC_FILE_RANGE_WRITE)).expectComplete().verify(T);
        for (FileAdvice advice : FileAdvice.values()) {
            StepVerifier.create(f.fadvise(0, 0, advice)).expectComplete().verify(T);
        }
        StepVerifier.create(f.fadvise(100, UringFile.MAX_RANGE_LENGTH, FileAdvice.WILL_NEED)).expectComplete().verify(T);
        assertThatThrownBy(() -> f.syncFileRange(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.syncFileRange(0, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.syncFileRange(0, UringFile.MAX_RANGE_LENGTH + 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.syncFileRange(0, 0, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fadvise(-1, 0, FileAdvice.NORMAL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fadvise(0, 1L << 32, FileAdvice.NORMAL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.fadvise(0, 0, null)).isInstanceOf(NullPointerException.class);
        // The data is intact after all the hints.
        ByteBuffer back = ByteBuffer.allocateDirect(20_000);
        f.read(back, 0).block(T);
        assertThat(back.flip()).isEqualTo(ByteBuffer.wrap(random(20_000, 11)));
        f.close().block(T);
    }

    // ------------------------------------------------------------------ links

    @Test
    void symbolicLinksKeepTheirTargetAsGiven() throws Exception {
        Path target = Files.write(dir.resolve("target.txt"), new byte[] {1, 2, 3});
        Path relLink = dir.resolve("rel-link");
        StepVerifier.create(ops().createSymbolicLink(relLink, Path.of("target.txt"))).expectComplete().verify(T);
        assertThat(Files.isSymbolicLink(relLink)).isTrue();
        assertThat(Files.readSymbolicLink(relLink)).isEqualTo(Path.of("target.txt"));
        assertThat(Files.readAllBytes(relLink)).containsExactly(1, 2, 3);
        Path absLink = dir.resolve("abs-link");
        StepVerifier.create(ops().createSymbolicLink(absLink, target)).expectComplete().verify(T);
        assertThat(Files.readSymbolicLink(absLink)).isEqualTo(target);
        // A dangling link is allowed; an existing link path is not.
        StepVerifier.create(ops().createSymbolicLink(dir.resolve("dangling"), Path.of("nowhere"))).expectComplete()
                .verify(T);
        StepVerifier.create(ops().createSymbolicLink(relLink, target)).expectError(FileAlreadyExistsException.class)
                .verify(T);
        StepVerifier.create(ops().createSymbolicLink(dir.resolve("no/such/dir/link"), target))
                .expectError(NoSuchFileException.class).verify(T);
        // NOFOLLOW_LINKS refuses to open through the link (ELOOP, a FileSystemException).
        StepVerifier.create(opening(relLink, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))
                .expectError(FileSystemException.class).verify(T);
    }

    @Test
    void hardLinksShareTheFile() throws Exception {
        Path existing = Files.write(dir.resolve("orig"), new byte[] {7});
        Path link = dir.resolve("hard");
        StepVerifier.create(ops().createLink(link, existing)).expectComplete().verify(T);
        assertThat(Files.isSameFile(link, existing)).isTrue();
        assertThat(Files.getAttribute(existing, "unix:nlink")).isEqualTo(2);
        StepVerifier.create(ops().createLink(link, existing)).expectError(FileAlreadyExistsException.class).verify(T);
        StepVerifier.create(ops().createLink(dir.resolve("hard2"), dir.resolve("absent")))
                .expectError(NoSuchFileException.class).verify(T);
        StepVerifier.create(ops().createLink(dir.resolve("hard3"), dir)).expectError(AccessDeniedException.class)
                .verify(T); // link(2) of a directory: EPERM
    }

    // ------------------------------------------------------------------ open flags

    @Test
    void createdFilesGetTheAskedPermissionsMinusTheUmask() throws Exception {
        int umask = umask();
        for (String perms : List.of("rwx------", "rw-r-----", "rwxrwxrwx", "r--------")) {
            Set<PosixFilePermission> asked = PosixFilePermissions.fromString(perms);
            Path p = dir.resolve("perm-" + perms);
            UringFile f = ops().open(p, OpenSpec.of(Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(asked))).block(T);
            f.close().block(T);
            assertThat(toMode(Files.getPosixFilePermissions(p))).as(perms).isEqualTo(toMode(asked) & ~umask);
        }
        UringFile plain = open(dir.resolve("default-perm"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        plain.close().block(T);
        assertThat(toMode(Files.getPosixFilePermissions(dir.resolve("default-perm")))).isEqualTo(0666 & ~umask);
    }

    @Test
    void directIoReadsWithAnAlignedBuffer() throws Exception {
        byte[] data = random(3 * 4096, 12);
        Path p = Files.write(dir.resolve("direct"), data);
        Throwable failure = opening(p, StandardOpenOption.READ, UringOpenOption.DIRECT)
                .flatMap(UringFile::close).thenReturn((Throwable) new RuntimeException("none"))
                .onErrorResume(Mono::just).block(T);
        assumeTrue(Errno.errnoOf(failure) != Errno.EINVAL, "this file system rejects O_DIRECT: " + failure);
        UringFile f = open(p, StandardOpenOption.READ, UringOpenOption.DIRECT);
        // Pooled buffers are page aligned; position and length are multiples of 4096.
        PooledBuffer buf = f.bufferPool().acquire(8192);
        try {
            ByteBuffer b = buf.buffer().clear().limit(8192);
            StepVerifier.create(f.read(b, 4096)).expectNext(8192).expectComplete().verify(T);
            byte[] got = new byte[8192];
            b.flip().get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, 4096, 3 * 4096));
        } finally {
            buf.release();
        }
        f.close().block(T);
    }

    // ------------------------------------------------------------------ faults

    /** SIGXFSZ (25) is caught or ignored by this process, so exceeding RLIMIT_FSIZE gives EFBIG instead of killing it. */
    static boolean sigxfszHandled() throws IOException {
        long mask = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigCgt:") || line.startsWith("SigIgn:")) {
                mask |= Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        return (mask & (1L << (25 - 1))) != 0;
    }

    /** The soft RLIMIT_FSIZE from /proc/self/limits, -1 for unlimited. */
    static long fileSizeLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max file size")) {
                String soft = line.substring("Max file size".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
            }
        }
        throw new IllegalStateException("no 'Max file size' in /proc/self/limits");
    }

    /**
     * A write past RLIMIT_FSIZE fails with EFBIG as a FileSystemException naming it; the writes
     * before it, the file and the pool are undisturbed. The limit is process-wide, so it is lowered
     * only around the writes that must fail (tests in this JVM run one at a time) and restored in
     * {@code finally}. HotSpot installs a handler for SIGXFSZ that ignores it (checked below), so
     * the signal the kernel sends with EFBIG does not kill the JVM.
     */
    @Test
    void writingPastTheFileSizeLimitFailsWithEfbig() throws Exception {
        assumeTrue(sigxfszHandled(), "SIGXFSZ would kill this process");
        long original = fileSizeLimit();
        int limit = 64 * 1024;
        assumeTrue(original < 0 || original > 4L * limit, "RLIMIT_FSIZE is already low: " + original);
        Path p = dir.resolve("efbig");
        long before = pool().outstanding();
        UringFile f = open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        byte[] data = random(16 * 1024, 13);
        Native.ensureLoaded(); // the NIO tests alone never load it
        Throwable single;
        Throwable all;
        assertThat(Native.setFileSizeLimit(limit)).isZero();
        try {
            single = f.write(direct(data), limit).map(n -> (Throwable) new AssertionError("wrote " + n))
                    .onErrorResume(Mono::just).block(T);
            // Heap buffers: with io_uring they are copied into pooled memory, which must come back.
            // One write in flight, so the one that fits finishes before the one that fails: with two,
            // the NIO back end may run the failing write first and cancel the other (seen on a loaded machine).
            all = f.writeAll(Flux.just(ByteBuffer.wrap(data), ByteBuffer.wrap(data)), limit - data.length, 1)
                    .map(n -> (Throwable) new AssertionError("wrote " + n)).onErrorResume(Mono::just).block(T);
        } finally {
            assertThat(Native.setFileSizeLimit(original)).isZero();
        }
        for (Throwable e : List.of(single, all)) {
            assertThat(e).isInstanceOf(FileSystemException.class).isInstanceOf(UringError.class)
                    .hasMessageContaining("EFBIG").hasMessageContaining(p.toString());
            assertThat(((UringError) e).errno()).isEqualTo(Errno.EFBIG);
        }
        // The write that fit went through; the file is usable again now that the limit is back.
        StepVerifier.create(f.size()).expectNext((long) limit).expectComplete().verify(T);
        StepVerifier.create(f.write(direct(data), limit)).expectNext(data.length).expectComplete().verify(T);
        ByteBuffer back = ByteBuffer.allocateDirect(data.length);
        f.read(back, limit - data.length).block(T);
        assertThat(back.flip()).isEqualTo(ByteBuffer.wrap(data));
        f.close().block(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }

    /** Disk full, for real: every write to /dev/full fails with ENOSPC, as a FileSystemException naming it. */
    @Test
    void writingToAFullDeviceFailsWithEnospc() throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "no writable /dev/full");
        long before = pool().outstanding();
        UringFile f = open(full, StandardOpenOption.WRITE);
        StepVerifier.create(f.write(direct(new byte[100]), 0))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(FileSystemException.class).hasMessageContaining("ENOSPC")
                            .hasMessageContaining("/dev/full");
                    assertThat(Errno.errnoOf(e)).isEqualTo(Errno.ENOSPC);
                })
                .verify(T);
        StepVerifier.create(f.writeAll(Flux.just(ByteBuffer.wrap(new byte[10_000])), 0, 1))
                .expectErrorSatisfies(e -> assertThat(Errno.errnoOf(e)).isEqualTo(Errno.ENOSPC))
                .verify(T);
        f.close().block(T);
        awaitReleased("pooled buffers returned", () -> pool().outstanding() == before);
    }
}
