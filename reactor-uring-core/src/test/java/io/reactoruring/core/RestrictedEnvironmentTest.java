package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.ChildJvm;
import io.reactoruring.core.testing.Restriction;
import io.reactoruring.core.children.RestrictedCoreChild;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * io_uring blocked or limited as users meet it (seccomp refusing setup with EPERM or ENOSYS, or
 * allowing setup but refusing enter and register; RLIMIT_MEMLOCK without CAP_IPC_LOCK; JDK 25
 * refusing native access): a child JVM in each gets a cause naming the refused syscall, limit or
 * flag, the shared group is never re-created, and buffers still work. File and net run their own
 * fallbacks in the same environments (their RestrictedEnvironment tests).
 */
class RestrictedEnvironmentTest {

    @ParameterizedTest
    @EnumSource(Restriction.class)
    void coreReportsTheCauseOnceAndKeepsWorking(Restriction restriction) throws Exception {
        restriction.assumeSupported();
        ChildJvm.Result r = ChildJvm.run(restriction, RestrictedCoreChild.class);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.output()).contains("CHILD OK");
        String cause = r.output().lines().filter(l -> l.startsWith("CAUSE: ")).findFirst().orElse("");
        assertThat(cause).as("%s", r).contains(restriction.expectedCause());
        if (restriction == Restriction.SECCOMP_SETUP_ENOSYS) {
            assertThat(cause).doesNotContain("has no io_uring");
        }
        if (restriction == Restriction.SECCOMP_ENTER_REGISTER_EPERM) {
            assertThat(cause).contains("io_uring_setup works").contains("seccomp");
        }
        if (restriction == Restriction.MEMLOCK_WITHOUT_CAP_IPC_LOCK) {
            assertThat(cause).contains("lacks CAP_IPC_LOCK").contains("ulimit -l").doesNotContain("before 5.12");
        }
        assertThat(r.output()).doesNotContain("Exception in thread");
    }
}
