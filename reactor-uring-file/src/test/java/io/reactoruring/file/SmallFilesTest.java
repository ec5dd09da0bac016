package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.Errno;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Fds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class SmallFilesTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("small-files-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private static SmallFilesSlots slots() {
        return SmallFilesSlots.of(loop);
    }

    private static void awaitOnLoop(String what, BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] take(PooledBuffer b) {
        ByteBuffer bb = b.buffer().duplicate();
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        b.release();
        return out;
    }


    private void awaitIdle() {
        awaitOnLoop("every slot free and every buffer returned",
                () -> slots().inUse() == 0 && loop.bufferPool().outstanding() == 0);
    }

    @Test
    void readsWholeFilesOfEverySize() throws Exception {
        for (int size : new int[] {0, 1, 4095, 4096, 4097, 100_000}) {
            byte[] data = random(size, size);
            Path p = Files.write(dir.resolve("f" + size), data);
            assertThat(take(SmallFiles.read(loop, p, 100_000).block(T))).as("size %d", size).isEqualTo(data);
        }
        awaitIdle();
    }

    @Test
    void aFileLargerThanMaxBytesIsAnError() throws Exception {
        Path p = Files.write(dir.resolve("big"), random(1001, 1));
        StepVerifier.create(SmallFiles.read(loop, p, 1000))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IOException.class).hasMessageContaining("maxBytes"))
                .verify(T);
        awaitIdle();
    }

    @Test
    void missingFileIsNoSuchFileAndFreesTheSlot() {
        StepVerifier.create(SmallFiles.read(loop, dir.resolve("missing"), 100))
                .expectError(NoSuchFileException.class)
                .verify(T);
        awaitIdle();
        // The slot is usable again.
        StepVerifier.create(SmallFiles.read(loop, dir.resolve("missing"), 100))
                .expectError(NoSuchFileException.class)
                .verify(T);
        awaitIdle();
    }

    @Test
    void aDirectoryFailsInTheReadAndItsSlotIsClosed() {
        StepVerifier.create(SmallFiles.read(loop, dir, 100))
                .expectErrorSatisfies(e -> assertThat(Errno.errnoOf(e)).isEqualTo(Errno.EISDIR))
                .verify(T);
        awaitIdle();
    }

    @Test
    void moreConcurrentReadsThanSlotsWaitForSlots() throws Exception {
        int n = 3 * SmallFilesSlots.DEFAULT_SLOTS + 7;
        List<byte[]> contents = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            contents.add(random(100 + i, i));
            paths.add(Files.write(dir.resolve("c" + i), contents.get(i)));
        }
        long fdsBefore = Fds.openUnder(dir);
        // Subscribed from the loop thread in one task: every read asks for a slot before any completes.
        List<byte[]> read = Flux.range(0, n)
                .flatMapSequential(i -> SmallFiles.read(loop, paths.get(i), 10_000).map(SmallFilesTest::take), n)
                .subscribeOn(loop)
                .collectList()
                .block(T);
        for (int i = 0; i < n; i++) {
            assertThat(read.get(i)).as("file %d", i).isEqualTo(contents.get(i));
        }
        assertThat(slots().inUseHighWater()).as("open direct descriptors").isLessThanOrEqualTo(slots().capacity());
        assertThat(slots().waitersHighWater()).as("reads that waited for a slot").isPositive();
        awaitIdle();
        assertThat(Fds.openUnder(dir)).as("no process fd was opened on the files (direct descriptors only), none leaked").isEqualTo(fdsBefore);
    }

    @Test
    void cancelledReadsGiveBackSlotsAndBuffers() throws Exception {
        Path p = Files.write(dir.resolve("x"), random(5000, 3));
        for (int i = 0; i < 50; i++) {
            StepVerifier.create(SmallFiles.read(loop, p, 10_000)).thenCancel().verify(T);
        }
        awaitIdle();
        assertThat(take(SmallFiles.read(loop, p, 10_000).block(T))).hasSize(5000);
        awaitIdle();
    }

    @Test
    void badArgumentsAreRejectedAtCallTime() {
        assertThatThrownBy(() -> SmallFiles.read(loop, dir, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmallFiles.read(loop, dir, Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmallFiles.read(loop, Path.of("a\0b"), 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmallFiles.read(null, dir, 10)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theChainClosesTheSlotBeforeTheCallerIsSignalled() throws Exception {
        // The close is the chain's last member: the slot is free when the read's signal arrives, with
        // no close left to queue (a queued close would free it only a loop iteration later).
        Path small = Files.write(dir.resolve("small"), random(10, 7));
        Path big = Files.write(dir.resolve("big"), random(101, 8));
        byte[] read = take(SmallFiles.read(loop, small, 100).block(T));
        assertThat(slots().inUse()).as("after a whole read").isZero();
        assertThat(read).isEqualTo(Files.readAllBytes(small));
        for (Path p : List.of(big, dir.resolve("missing"), dir)) {
            StepVerifier.create(SmallFiles.read(loop, p, 100)).expectError().verify(T);
            assertThat(slots().inUse()).as("after the failed read of %s", p).isZero();
        }
        awaitIdle();
    }

    @Test
    void aFileThatReadsShortIsReadToItsEnd() throws Exception {
        // seq_file files return about a page per read: a JVM's memory map takes several.
        Path maps = Path.of("/proc/self/maps");
        try (FileChannel ch = FileChannel.open(maps)) {
            ByteBuffer one = ByteBuffer.allocate(1 << 20);
            int first = ch.read(one);
            assertThat(ch.read(one)).as("the first read (%d bytes) was short", first).isPositive();
        }
        Path mapsFile = maps.toRealPath(); // /proc/<pid>/maps, the link target of an fd open on it
        long fdsBefore = Fds.openOn(mapsFile);
        String text = new String(take(SmallFiles.read(loop, maps, 1 << 20).block(T)), StandardCharsets.US_ASCII);
        assertThat(text.length()).isGreaterThan(2 * 4096);
        assertThat(text).endsWith("\n");
        assertThat(text.split("\n")).allSatisfy(line -> assertThat(line).matches("[0-9a-f]+-[0-9a-f]+ [-rwxsp]{4} .*"));
        awaitIdle();
        assertThat(Fds.openOn(mapsFile)).isEqualTo(fdsBefore);
    }
}
