package io.reactoruring.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@code main} class of the current test class path in a child JVM, optionally inside a
 * {@link Restriction} (a seccomp filter, a memlock limit without CAP_IPC_LOCK, a JDK that refuses
 * native access). Shared by the tests of core, file and net through reactor-uring-test-harness (test scope, never deployed).
 */
public final class ChildJvm {
    private static @Nullable Path launcher;

    private ChildJvm() {
    }

    /** A finished child: exit code and its stdout and stderr, merged. */
    public record Result(int exitCode, String output) {
        /** How many lines of the output contain {@code text}. */
        public long linesContaining(String text) {
            return output.lines().filter(l -> l.contains(text)).count();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }
    }

    /** Runs {@code mainClass} with {@code args} inside {@code restriction} and waits (at most a minute). */
    public static Result run(Restriction restriction, Class<?> mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(restriction.prefix());
        command.add(restriction.java().toString());
        command.addAll(restriction.jvmArgs());
        command.add("-Xshare:auto");
        command.add("-XX:TieredStopAtLevel=1"); // short-lived children: start fast
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(Arrays.asList(args));
        return exec(command);
    }

    /** Runs {@code command} (stderr merged into stdout) and waits at most a minute. */
    public static Result exec(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("child-jvm-", ".log");
        try {
            // No pipes: a child's stdin pipe would stay open in this JVM until a GC closes it, and
            // change the fd counts that other tests in this JVM assert.
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("child did not finish within 60 s: " + command + "\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The JDK running the tests. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** A JDK 22+ to run children on (Temurin 25 on CI), or null. {@code REACTORURING_JDK25} overrides. */
    public static @Nullable Path jdk25() {
        String env = System.getenv("REACTORURING_JDK25");
        for (String home : new String[] {env, "/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-25-jdk-arm64"}) {
            if (home != null && Files.isExecutable(Path.of(home, "bin", "java"))) {
                return Path.of(home, "bin", "java");
            }
        }
        return null;
    }

    /** True when {@code tool} is on the PATH. */
    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** The seccomp launcher, compiled with gcc on first use: {@code launcher <mode> <program> <args...>}. */
    static synchronized Path seccompLauncher() throws IOException, InterruptedException {
        if (launcher == null) {
            Path dir = Files.createTempDirectory("seccomp-launcher");
            Path src = dir.resolve("launcher.c");
            Files.writeString(src, LAUNCHER_C);
            Path bin = dir.resolve("launcher");
            Result r = exec(List.of("gcc", "-O1", "-Wall", "-Werror", "-o", bin.toString(), src.toString()));
            if (r.exitCode() != 0) {
                throw new AssertionError("compiling the seccomp launcher failed: " + r);
            }
            launcher = bin;
        }
        return launcher;
    }

    /*
     * Installs a seccomp filter that refuses some io_uring syscalls with an errno, then execs the rest
     * of its arguments. The syscall numbers are the same on x86_64 and aarch64 (425, 426, 427).
     */
    private static final String LAUNCHER_C = """
            #include <errno.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <string.h>
            #include <unistd.h>
            #include <linux/filter.h>
            #include <linux/seccomp.h>
            #include <sys/prctl.h>
            #define NR_SETUP 425
            #define NR_ENTER 426
            #define NR_REGISTER 427
            int main(int argc, char **argv) {
                if (argc < 3) { fprintf(stderr, "usage: launcher setup-eperm|setup-enosys|enter-register-eperm prog args\\n"); return 2; }
                unsigned a, b, err;
                if (!strcmp(argv[1], "loop-enter-eperm")) {
                    /* io_uring_enter refused only with IORING_ENTER_REGISTERED_RING (flags, args[3]):
                     * the probe's ring passes, the loops' registered rings die on their first enter. */
                    struct sock_filter g[] = {
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 0, 3),
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[3])),
                        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 0, 1),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                    };
                    struct sock_fprog gp = { sizeof(g) / sizeof(g[0]), g };
                    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &gp)) {
                        perror("seccomp"); return 3;
                    }
                    execvp(argv[2], argv + 2);
                    perror("execvp");
                    return 4;
                }
                if (!strcmp(argv[1], "setup-eperm")) { a = b = NR_SETUP; err = EPERM; }
                else if (!strcmp(argv[1], "setup-enosys")) { a = b = NR_SETUP; err = ENOSYS; }
                else if (!strcmp(argv[1], "enter-register-eperm")) { a = NR_ENTER; b = NR_REGISTER; err = EPERM; }
                else { fprintf(stderr, "unknown mode %s\\n", argv[1]); return 2; }
                struct sock_filter f[] = {
                    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a, 0, 1),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
                    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b, 0, 1),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                };
                struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
                    perror("seccomp"); return 3;
                }
                execvp(argv[2], argv + 2);
                perror("execvp");
                return 4;
            }
            """;
}
