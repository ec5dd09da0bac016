package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Counts the system calls of a process or of one thread over a window with {@code perf stat} on the
 * syscall tracepoints (no ptrace, so the traced server runs at full speed): all syscalls and
 * {@code io_uring_enter}. Optional: where perf or the tracepoints are missing (not root, paranoid
 * setting), {@link #start} returns null and the harness prints n/a.
 */
final class PerfSyscalls {
    private static final String ALL = "raw_syscalls:sys_enter";
    private static final String ENTER = "syscalls:sys_enter_io_uring_enter";
    private static volatile Boolean available;

    private final Process perf;

    private PerfSyscalls(Process perf) {
        this.perf = perf;
    }

    static boolean available() {
        Boolean a = available;
        if (a == null) {
            try {
                Process p = new ProcessBuilder("perf", "stat", "-x,", "-e", ALL, "-e", ENTER, "--", "true")
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                a = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.contains(ALL) && !out.contains("<not supported>");
            } catch (IOException e) {
                a = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                a = false;
            }
            available = a;
        }
        return a;
    }

    /** Starts counting for process {@code pid} (all its threads), or null if perf is unusable here. */
    static PerfSyscalls process(long pid) {
        return start("-p", pid);
    }

    /** Starts counting for the one thread {@code tid} (a Linux task id), or null if perf is unusable here. */
    static PerfSyscalls thread(long tid) {
        return start("-t", tid);
    }

    private static PerfSyscalls start(String flag, long id) {
        if (id <= 0 || !available()) {
            return null;
        }
        try {
            return new PerfSyscalls(new ProcessBuilder("perf", "stat", "-x,", "-e", ALL, "-e", ENTER, flag, String.valueOf(id))
                    .redirectErrorStream(true).start());
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops counting (SIGINT, on which perf stat prints its counts): {@code {all syscalls, io_uring_enter}}, or null. */
    long[] stop() {
        try {
            new ProcessBuilder("kill", "-INT", String.valueOf(perf.pid())).start().waitFor(5, TimeUnit.SECONDS);
            String out = new String(perf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            perf.waitFor(5, TimeUnit.SECONDS);
            long all = -1;
            long enter = -1;
            for (String line : out.split("\n")) {
                String[] f = line.split(",");
                if (f.length > 2 && f[0].matches("[0-9]+")) {
                    if (f[2].equals(ALL)) {
                        all = Long.parseLong(f[0]);
                    } else if (f[2].equals(ENTER)) {
                        enter = Long.parseLong(f[0]);
                    }
                }
            }
            return all < 0 ? null : new long[] {all, Math.max(0, enter)};
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            perf.destroyForcibly();
        }
    }

    /** Ends perf without reading it (idempotent; after {@link #stop()} a no-op). */
    void abandon() {
        perf.destroyForcibly();
    }

    /** The Linux task id of this JVM's first thread whose name (comm, 15 characters) starts with {@code prefix}, or -1. */
    static long threadId(String prefix) {
        String p = prefix.length() > 15 ? prefix.substring(0, 15) : prefix;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().startsWith(p)) {
                        return Long.parseLong(t.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }
}
