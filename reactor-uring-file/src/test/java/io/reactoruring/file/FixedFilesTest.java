package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.testing.Fds;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Fixed files (issue 13): a file opened on a loop lives in the ring's registered file table (a
 * direct descriptor: IORING_FILE_INDEX_ALLOC, IOSQE_FIXED_FILE on every op, closed through the ring)
 * and takes no process fd; more files than the table holds get plain fds; a cancellation storm of
 * opens, reads and closes leaves every slot free again; a direct descriptor is refused on another loop.
 */
class FixedFilesTest {
    static final Duration T = Duration.ofSeconds(60);
    static final Set<StandardOpenOption> RW = Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);

    @TempDir
    Path dir;

    static UringMetrics metrics(UringLoop loop) {
        return Mono.fromCallable(loop::metrics).subscribeOn(loop).block(T);
    }

    static void flush(UringLoop loop) {
        for (int i = 0; i < 3; i++) {
            loop.submit(Op.nop()).block(T);
        }
    }

    static String readAll(UringFile f) {
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        int n = f.read(b, 0).block(T);
        b.flip();
        byte[] out = new byte[Math.max(n, 0)];
        b.get(out);
        return new String(out, StandardCharsets.UTF_8);
    }

    static void write(UringFile f, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        assertThat(f.write(b, 0).block(T)).isEqualTo(bytes.length);
    }

    @Test
    void aFileIsADirectDescriptorWithoutAProcessFd() throws Exception {
        UringLoop loop = UringLoop.create("fixed-files");
        try {
            assertThat(loop.directDescriptorSlots()).isPositive();
            Path p = Files.createFile(dir.resolve("direct"));
            long fdsBefore = Fds.openOn(p);
            long opsBefore = metrics(loop).fixedFileOps();
            UringFile f = UringFiles.open(loop, p, RW).block(T);
            assertThat(f.isDirectDescriptor()).isTrue();
            assertThat(f.fd()).isEqualTo(-1);
            assertThat(f.sharedFd()).isNull();
            assertThat(Fds.openOn(p)).as("no process fd on the file").isEqualTo(fdsBefore);
            write(f, "hello direct");
            assertThat(readAll(f)).isEqualTo("hello direct");
            assertThat(f.size().block(T)).isEqualTo(12);
            f.fdatasync().block(T);
            assertThat(Files.readString(p)).isEqualTo("hello direct");
            assertThat(metrics(loop).fixedFileOps() - opsBefore).isGreaterThanOrEqualTo(4);
            // A direct descriptor is a slot of this ring only: another loop refuses it before the kernel.
            UringLoop other = UringLoop.create("fixed-files-other");
            try {
                SharedFd fd = f.ringFd();
                Op read = Op.builder(Opcode.READ).fd(fd).addr(0).length(1).build();
                assertThatThrownBy(() -> other.submit(read)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("direct descriptor");
                assertThatThrownBy(fd::fd).isInstanceOf(IllegalStateException.class);
            } finally {
                other.disposeGracefully().block(T);
            }
            f.close().block(T);
            StepVerifier.create(f.read(ByteBuffer.allocateDirect(1), 0)).expectError(ClosedChannelException.class)
                    .verify(T);
            assertThat(Fds.openOn(p)).isEqualTo(fdsBefore);
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    /**
     * One file table per ring, the loop's: callers naming their own slots (registerFiles, SmallFiles)
     * get its first 64, which IORING_FILE_INDEX_ALLOC never hands out; asking for more is EBUSY. The
     * loop's buffer table likewise makes an explicit registerBuffers EBUSY.
     */
    @Test
    void theLoopsTablesLeaveRoomForExplicitSlots() throws Exception {
        UringLoop loop = UringLoop.create("fixed-files-explicit", RingOptions.defaults().registeredFiles(16));
        try {
            StepVerifier.create(loop.registerFiles(64)).verifyComplete();
            StepVerifier.create(loop.registerFiles(65)).expectErrorSatisfies(e -> assertThat(
                    ((io.reactoruring.core.UringError) e).errno()).isEqualTo(io.reactoruring.core.Errno.EBUSY)).verify(T);
            io.reactoruring.core.buffer.PooledBuffer b = loop.bufferPool().acquire(4096);
            StepVerifier.create(loop.registerBuffers(List.of(b))).expectErrorSatisfies(e -> assertThat(
                    ((io.reactoruring.core.UringError) e).errno()).isEqualTo(io.reactoruring.core.Errno.EBUSY)).verify(T);
            b.release();
            // Slot 0 named by hand (as SmallFiles does) next to 16 allocated ones: all work, none collide.
            Path named = Files.writeString(dir.resolve("named"), "named");
            byte[] path = (named.toString() + "\0").getBytes(StandardCharsets.UTF_8);
            ByteBuffer pathBuf = ByteBuffer.allocateDirect(path.length).put(path).flip();
            long addr = io.reactoruring.core.internal.Native.addressOf(pathBuf);
            Op open = Op.builder(Opcode.OPENAT).fd(-100).addr(addr).keepAlive(pathBuf).fileIndex(1).build();
            assertThat(loop.submit(open).block(T)).isZero();
            List<UringFile> files = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                files.add(UringFiles.open(loop, named, Set.of(StandardOpenOption.READ)).block(T));
            }
            assertThat(files).allMatch(UringFile::isDirectDescriptor);
            assertThat(files).allMatch(f -> f.ringFd().directIndex() >= 64);
            ByteBuffer dst = ByteBuffer.allocateDirect(16);
            Op read = Op.builder(Opcode.READ).fd(0).sqeFlags(Opcode.IOSQE_FIXED_FILE)
                    .addr(io.reactoruring.core.internal.Native.addressOf(dst)).length(16).keepAlive(dst).build();
            assertThat(loop.submit(read).block(T)).isEqualTo(5);
            assertThat(readAll(files.get(15))).isEqualTo("named");
            loop.submit(Op.builder(Opcode.CLOSE).fd(0).fileIndex(1).build()).block(T);
            Flux.fromIterable(files).flatMap(UringFile::close).blockLast(T);
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void moreFilesThanTheTableGetPlainFds() throws Exception {
        UringLoop loop = UringLoop.create("fixed-files-full", RingOptions.defaults().registeredFiles(16));
        try {
            assertThat(loop.directDescriptorSlots()).isEqualTo(16);
            List<Path> paths = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                paths.add(Files.writeString(dir.resolve("f" + i), "file " + i));
            }
            List<UringFile> files = Flux.fromIterable(paths)
                    .flatMapSequential(p -> UringFiles.open(loop, p, RW), 40).collectList().block(T);
            long direct = files.stream().filter(UringFile::isDirectDescriptor).count();
            assertThat(direct).isEqualTo(16);
            long processFds = paths.stream().mapToLong(Fds::openOn).sum();
            assertThat(processFds).as("only the plain ones hold process fds").isEqualTo(24);
            for (int i = 0; i < files.size(); i++) {
                UringFile f = files.get(i);
                assertThat(readAll(f)).isEqualTo("file " + i);
                write(f, "FILE " + i);
                assertThat(Files.readString(paths.get(i))).isEqualTo("FILE " + i);
            }
            Flux.fromIterable(files).flatMap(UringFile::close).blockLast(T);
            assertThat(paths.stream().mapToLong(Fds::openOn).sum()).isZero();
            // Every slot came back: the next 16 opens are direct again.
            List<UringFile> again = Flux.fromIterable(paths.subList(0, 16))
                    .flatMap(p -> UringFiles.open(loop, p, RW)).collectList().block(T);
            assertThat(again).allMatch(UringFile::isDirectDescriptor);
            Flux.fromIterable(again).flatMap(UringFile::close).blockLast(T);
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void aCancellationStormLeavesEverySlotFree() throws Exception {
        UringLoop loop = UringLoop.create("fixed-files-storm", RingOptions.defaults().registeredFiles(16));
        try {
            Path p = Files.writeString(dir.resolve("storm"), "x".repeat(8192));
            long fdsBefore = Fds.openOn(p);
            Random rnd = new Random(6);
            for (int i = 0; i < 2000; i++) {
                BaseSubscriber<String> s = new BaseSubscriber<>() {
                };
                // An open, a read or two and a close, cancelled at a random point from a random thread.
                Mono<String> work = Mono.usingWhen(UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)),
                        f -> f.read(ByteBuffer.allocateDirect(4096), rnd.nextInt(8192)).then(
                                f.read(ByteBuffer.allocateDirect(4096), 0)).map(n -> "read " + n),
                        UringFile::close);
                work.subscribe(s);
                switch (rnd.nextInt(4)) {
                    case 0 -> s.dispose();
                    case 1 -> Schedulers.parallel().schedule(s::dispose);
                    case 2 -> loop.schedule(s::dispose);
                    default -> { } // runs to its end
                }
            } // (files whose opens found the 16 slots taken by work still in flight got plain fds: correct)
            flush(loop);
            // If a slot had leaked (an orphaned open not closed, a close lost), one of these would be plain.
            List<UringFile> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                all.add(UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).block(T));
            }
            for (int attempt = 0; attempt < 100 && !all.stream().allMatch(UringFile::isDirectDescriptor); attempt++) {
                // closes from the storm's last cancelled subscribers may still be on their way
                for (UringFile f : all) {
                    f.close().block(T);
                }
                all.clear();
                flush(loop);
                for (int i = 0; i < 16; i++) {
                    all.add(UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).block(T));
                }
            }
            assertThat(all).allMatch(UringFile::isDirectDescriptor);
            for (UringFile f : all) {
                f.close().block(T);
            }
            assertThat(Fds.openOn(p)).isEqualTo(fdsBefore);
            assertThat(loop.bufferPool().outstanding()).isZero();
        } finally {
            loop.disposeGracefully().block(T);
        }
    }
}
