package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.FileStat;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

class StatCacheTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        group = UringLoopGroup.create("stat-cache-test", 1, RingOptions.defaults());
    }

    @AfterAll
    static void tearDown() {
        group.disposeLater().block(T);
    }

    /** Opens {@code file}, asks the cache, closes. */
    private static long size(StatCache cache, Path file) {
        return Mono.usingWhen(UringFiles.open(group.next(), file, Set.of(StandardOpenOption.READ)),
                        cache::stat, UringFile::close)
                .map(FileStat::size).block(T);
    }

    @Test
    void reusesAResultUntilItExpires() throws Exception {
        Path f = Files.writeString(dir.resolve("f.txt"), "abc");
        AtomicLong now = new AtomicLong(1_000);
        StatCache cache = new StatCache(500, now::get);
        assertThat(size(cache, f)).isEqualTo(3);
        Files.writeString(f, "abcde");
        now.addAndGet(499);
        assertThat(size(cache, f)).as("still valid").isEqualTo(3);
        now.addAndGet(1);
        assertThat(size(cache, f)).as("expired: statx again").isEqualTo(5);
    }

    @Test
    void zeroValidityAlwaysAsksTheKernel() throws Exception {
        Path f = Files.writeString(dir.resolve("g.txt"), "abc");
        StatCache cache = new StatCache(0, () -> 0);
        assertThat(size(cache, f)).isEqualTo(3);
        Files.writeString(f, "abcdef");
        assertThat(size(cache, f)).isEqualTo(6);
    }
}
