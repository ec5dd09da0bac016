package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The NIO fallback's blocking calls: cancellation without interrupts, orphans closed, errors translated. */
class BlockingCallTest {
    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void aCallCancelledBeforeItRunsNeverRunsAndReleases() {
        AtomicBoolean ran = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        Mono<String> call = new BlockingCall<String, String>("op", "t", new BlockingCall.Gate() {
            @Override
            public boolean enter() {
                return true;
            }

            @Override
            public void exit() {
            }
        }, () -> {
            ran.set(true);
            return "x";
        }, s -> s, s -> { }, failures::incrementAndGet);
        StepVerifier.create(call, 0).thenCancel().verify(T);
        assertThat(ran).isFalse();
        assertThat(failures).hasValue(1);
    }

    /**
     * A channel opened by a call whose subscriber cancelled while it was blocked is closed, not
     * delivered; the blocked thread is not interrupted (an interrupt would close a FileChannel in use).
     */
    @Test
    void aResultArrivingAfterTheCancelIsOrphanedWithoutInterrupt() throws Exception {
        Path p = Files.write(dir.resolve("f"), new byte[] {1});
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        CountDownLatch orphaned = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicReference<FileChannel> opened = new AtomicReference<>();
        Mono<FileChannel> call = BlockingCall.of("openat", p.toString(), () -> {
            blocked.countDown();
            proceed.await(10, TimeUnit.SECONDS);
            interrupted.set(Thread.currentThread().isInterrupted());
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            opened.set(ch);
            return ch;
        }, ch -> ch, ch -> {
            try {
                ch.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            orphaned.countDown();
        });
        StepVerifier.create(call)
                .then(() -> assertThat(await(blocked)).isTrue())
                .thenCancel()
                .verify(T);
        proceed.countDown();
        assertThat(await(orphaned)).isTrue();
        assertThat(interrupted).isFalse();
        assertThat(opened.get().isOpen()).isFalse();
    }

    @Test
    void errnoTextsFromNioBecomeTheErrnoExceptions() {
        StepVerifier.create(BlockingCall.of("read", "/some/dir", () -> {
            throw new IOException("Is a directory");
        })).expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("EISDIR").hasMessageContaining("/some/dir")).verify(T);
        StepVerifier.create(BlockingCall.of("write", "/f", () -> {
            throw new IOException("No space left on device");
        })).expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("ENOSPC")).verify(T);
        // Texts that are no errno stay as they are.
        StepVerifier.create(BlockingCall.of("read", "/f", () -> {
            throw new IOException("something else");
        })).expectErrorSatisfies(e -> assertThat(e).isExactlyInstanceOf(IOException.class)
                .hasMessage("something else")).verify(T);
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
