package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.ChildJvm;
import io.reactoruring.core.testing.Restriction;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Where io_uring is blocked or limited (seccomp on setup, or on enter and register; RLIMIT_MEMLOCK
 * without CAP_IPC_LOCK; JDK 25 refusing native access), a child JVM's echo server and client work on
 * the NIO fallback, with exactly one warning from this module that names the cause.
 */
class RestrictedEnvironmentTest {

    @ParameterizedTest
    @EnumSource(Restriction.class)
    void echoFallsBackToNioWithOneWarning(Restriction restriction) throws Exception {
        restriction.assumeSupported();
        ChildJvm.Result r = ChildJvm.run(restriction, FallbackMain.class);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.output()).as("%s", r).contains("serverIsUring=false", "clientIsUring=false",
                "loop=UnsupportedOperationException", "echo=hello", "refused=java.net.ConnectException", "done");
        List<String> warnings = r.output().lines().filter(l -> l.contains("reactor-uring-net falls back")).toList();
        assertThat(warnings).as("%s", r).hasSize(1);
        assertThat(warnings.get(0)).contains(restriction.expectedCause());
        assertThat(r.output()).doesNotContain("Exception in thread", "RejectedExecutionException");
    }
}
