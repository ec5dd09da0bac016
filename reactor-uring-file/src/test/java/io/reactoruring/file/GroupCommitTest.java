package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.Errno;
import io.reactoruring.core.UringError;
import io.reactoruring.core.UringLoop;
import io.reactoruring.file.GroupCommit.Write;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The loop is used by this class only and nothing else runs on it during a commit, so the
 * difference of its {@code submitted} counter is exactly the number of SQEs a commit cost.
 */
class GroupCommitTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final int RECORD = 100;
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("group-commit-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private UringFile open(Path p, StandardOpenOption... options) {
        return UringFiles.open(loop, p, Set.of(options)).block(T);
    }

    /** A round trip through the loop: the metrics published at the end of the previous iteration. */
    private static long submitted() {
        Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        return loop.metrics().submitted();
    }

    private static void awaitOnLoop(String what, BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static byte[] record(int i) {
        byte[] b = new byte[RECORD];
        Arrays.fill(b, (byte) i);
        return b;
    }

    /** Heap and direct buffers alternately, to show both are accepted. */
    private static ByteBuffer buffer(byte[] bytes, int i) {
        ByteBuffer b = i % 2 == 0 ? ByteBuffer.allocate(bytes.length) : ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        return b;
    }

    @Test
    void twoHundredFiftySixAppendsCostOneWriteAndOneFsync() throws Exception {
        Path p = dir.resolve("log");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            writes.add(new Write((long) i * RECORD, buffer(record(i), i)));
        }
        long before = submitted();
        StepVerifier.create(GroupCommit.writeAndSync(f, writes)).expectNext(256L * RECORD).expectComplete().verify(T);
        // Adjacent appends are merged into one write; the barrier is the only other SQE.
        assertThat(submitted() - before).as("SQEs: one write + one fsync").isEqualTo(2);
        for (Write w : writes) {
            assertThat(w.data().remaining()).as("caller's buffer untouched").isEqualTo(RECORD);
        }
        f.close().block(T);
        byte[] content = Files.readAllBytes(p);
        assertThat(content).hasSize(256 * RECORD);
        for (int i = 0; i < 256; i++) {
            assertThat(Arrays.copyOfRange(content, i * RECORD, (i + 1) * RECORD)).isEqualTo(record(i));
        }
        awaitOnLoop("staging buffer returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void scatteredWritesSpanSeveralChainsWithOneBarrier() throws Exception {
        Path p = dir.resolve("scattered");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            writes.add(new Write((long) i * 2 * RECORD, buffer(record(i + 1), i))); // a gap after each record
        }
        long before = submitted();
        StepVerifier.create(GroupCommit.writeAndDataSync(f, writes)).expectNext(256L * RECORD).expectComplete().verify(T);
        assertThat(submitted() - before).as("SQEs: 256 writes + one fdatasync").isEqualTo(257);
        f.close().block(T);
        byte[] content = Files.readAllBytes(p);
        assertThat(content).hasSize(511 * RECORD);
        for (int i = 0; i < 256; i++) {
            assertThat(Arrays.copyOfRange(content, 2 * i * RECORD, (2 * i + 1) * RECORD)).isEqualTo(record(i + 1));
            if (i < 255) {
                assertThat(Arrays.copyOfRange(content, (2 * i + 1) * RECORD, (2 * i + 2) * RECORD)).isEqualTo(new byte[RECORD]);
            }
        }
        awaitOnLoop("staging buffer returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void aFailingWriteFailsTheBatchNamingItsOffset() throws Exception {
        Path p = dir.resolve("efbig");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long tooFar = 1L << 50; // beyond ext4's and most file systems' maximum file size: EFBIG
        List<Write> writes = List.of(new Write(0, buffer(record(1), 0)), new Write(RECORD, buffer(record(2), 1)),
                new Write(tooFar, buffer(record(3), 0)), new Write(5L * RECORD, buffer(record(4), 1)));
        long before = submitted();
        StepVerifier.create(GroupCommit.writeAndSync(f, writes))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UringError.class);
                    assertThat(((UringError) e).errno()).isEqualTo(Errno.EFBIG);
                    assertThat(((UringError) e).operation()).isEqualTo("write");
                    assertThat(e.getMessage()).contains("at offset " + tooFar);
                })
                .verify(T);
        // 4 chained SQEs (writes 0+100 merged, the failing one, the last write, fsync): all submitted,
        // the kernel cancelled the last write and the fsync.
        assertThat(submitted() - before).isEqualTo(4);
        f.close().block(T);
        assertThat(Files.size(p)).as("the write after the failure never ran").isEqualTo(2 * RECORD);
        awaitOnLoop("staging buffer returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void everyWriteFailingReportsTheFirstOffset() throws Exception {
        // /dev/full accepts the open and fails every write with ENOSPC.
        UringFile f = UringFiles.open(loop, Path.of("/dev/full"), Set.of(StandardOpenOption.WRITE)).block(T);
        StepVerifier.create(GroupCommit.writeAndSync(f, List.of(new Write(4096, buffer(record(1), 0)))))
                .expectErrorSatisfies(e -> {
                    assertThat(Errno.errnoOf(e)).isEqualTo(Errno.ENOSPC);
                    assertThat(e.getMessage()).contains("at offset 4096");
                })
                .verify(T);
        f.close().block(T);
        awaitOnLoop("staging buffer returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void misuseIsRejectedAtCallTime() throws Exception {
        Path p = Files.write(dir.resolve("ro"), new byte[10]);
        UringFile ro = open(p, StandardOpenOption.READ);
        assertThatThrownBy(() -> GroupCommit.writeAndSync(ro, List.of(new Write(0, ByteBuffer.allocate(1)))))
                .isInstanceOf(NonWritableChannelException.class);
        assertThatThrownBy(() -> GroupCommit.writeAndSync(ro, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Write(-1, ByteBuffer.allocate(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Write(0, null)).isInstanceOf(NullPointerException.class);
        ro.close().block(T);
    }

    @Test
    void cancelReleasesTheStagingBufferOnceTheKernelIsDone() throws Exception {
        Path p = dir.resolve("cancel");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            writes.add(new Write((long) i * 3 * RECORD, buffer(record(i), i)));
        }
        StepVerifier.create(GroupCommit.writeAndSync(f, writes)).thenCancel().verify(T);
        f.close().block(T);
        awaitOnLoop("staging buffer returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void onTheNioFallbackWritesThenSyncsAndNamesAFailedOffset() throws Exception {
        Path p = dir.resolve("nio-log");
        UringFile f = UringFiles.nio().open(p, OpenSpec.of(Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE)))
                .block(T);
        assertThat(f.isUring()).isFalse();
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            writes.add(new Write((long) i * RECORD, buffer(record(i), i)));
        }
        StepVerifier.create(GroupCommit.writeAndSync(f, writes)).expectNext(256L * RECORD).expectComplete().verify(T);
        long tooFar = 1L << 50;
        StepVerifier.create(GroupCommit.writeAndSync(f, List.of(new Write(tooFar, buffer(record(1), 0)))))
                .expectErrorSatisfies(e -> assertThat(e.getMessage()).contains("at offset " + tooFar))
                .verify(T);
        f.close().block(T);
        byte[] content = Files.readAllBytes(p);
        assertThat(content).hasSize(256 * RECORD);
        for (int i = 0; i < 256; i++) {
            assertThat(Arrays.copyOfRange(content, i * RECORD, (i + 1) * RECORD)).isEqualTo(record(i));
        }
    }
}
