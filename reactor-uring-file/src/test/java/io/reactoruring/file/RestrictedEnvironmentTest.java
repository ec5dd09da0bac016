package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.ChildJvm;
import io.reactoruring.core.testing.Restriction;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Where io_uring is blocked or limited (seccomp on setup, or on enter and register; RLIMIT_MEMLOCK
 * without CAP_IPC_LOCK; JDK 25 refusing native access), a child JVM's file reads, writes, path
 * operations and AsynchronousFileChannel read all work on the NIO fallback, with exactly one warning
 * from this module that names the cause.
 */
class RestrictedEnvironmentTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Restriction.class)
    void filesFallBackToNioWithOneWarning(Restriction restriction) throws Exception {
        restriction.assumeSupported();
        ChildJvm.Result r = ChildJvm.run(restriction, FallbackMain.class, dir.toString());
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.output()).as("%s", r).contains("usesUring=false", "isUring=false", "read=hello",
                "missing=java.nio.file.NoSuchFileException", "size=5", "afc=hello fallbackChannels=1", "done");
        List<String> warnings = r.output().lines().filter(l -> l.contains("reactor-uring-file falls back")).toList();
        assertThat(warnings).as("%s", r).hasSize(1);
        assertThat(warnings.get(0)).contains(restriction.expectedCause());
        assertThat(r.output()).doesNotContain("Exception in thread", "RejectedExecutionException");
    }
}
