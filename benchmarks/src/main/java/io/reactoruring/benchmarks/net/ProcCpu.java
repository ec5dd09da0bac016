package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time (user + system, all threads) of another process, from /proc/&lt;pid&gt;/stat. */
final class ProcCpu {
    /** Clock ticks per second of /proc's utime/stime; USER_HZ is 100 on every mainstream Linux build. */
    private static final long TICKS_PER_SECOND = ticks();

    private ProcCpu() {
    }

    /** utime + stime of {@code pid} in nanoseconds (resolution 1 / USER_HZ, i.e. 10 ms). */
    static long nanos(long pid) {
        return times(pid, true);
    }

    /** stime of {@code pid} alone: the time its threads ran in the kernel (system calls, and softirq work charged to them). */
    static long systemNanos(long pid) {
        return times(pid, false);
    }

    private static long times(long pid, boolean withUser) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name (field 2) may contain spaces; fields after its closing ')' are plain.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = (withUser ? Long.parseLong(f[11]) : 0) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
            return ticks * 1_000_000_000L / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Time {@code pid}'s threads spent runnable but waiting for a CPU (the run queue), summed over
     * its threads' /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat (second field, nanoseconds); -1 if the kernel
     * does not provide schedstat. Threads that ended in between are not counted.
     */
    static long runQueueWaitNanos(long pid) {
        return schedstat(pid, 1);
    }

    /**
     * Timeslices run by {@code pid}'s threads (third field of schedstat: how many times a thread got a CPU,
     * i.e. about one per wake-up for an event loop), summed over its threads; -1 if unavailable.
     */
    static long timeslices(long pid) {
        return schedstat(pid, 2);
    }

    private static long schedstat(long pid, int field) {
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String[] f = Files.readString(t.resolve("schedstat")).strip().split(" ");
                    sum += Long.parseLong(f[field]);
                } catch (IOException gone) {
                    // the thread ended
                }
            }
            return sum;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Voluntary context switches of {@code pid}'s threads (each a sleep: a blocking io_uring_enter or
     * epoll_wait that really waited, a parked thread), summed over /proc/&lt;pid&gt;/task/&lt;tid&gt;/status;
     * -1 if unreadable. Threads that ended in between are not counted.
     */
    static long voluntarySwitches(long pid) {
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String l : Files.readAllLines(t.resolve("status"))) {
                        if (l.startsWith("voluntary_ctxt_switches:")) {
                            sum += Long.parseLong(l.substring(l.indexOf(':') + 1).strip());
                        }
                    }
                } catch (IOException gone) {
                    // the thread ended
                }
            }
            return sum;
        } catch (IOException e) {
            return -1;
        }
    }

    private static long ticks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
