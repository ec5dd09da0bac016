package io.reactoruring.core;

import java.time.Duration;
import reactor.util.Logger;

/** Logs at most one line per interval, with the count of events since the last line. Loop thread only. */
final class RateLimitedWarning {
    private final Logger log;
    private final long intervalNanos;
    private long lastLogged;
    private long suppressed;

    RateLimitedWarning(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.lastLogged = System.nanoTime() - intervalNanos;
    }

    /** Records {@code events} CQ overflow flushes; returns true if a line was logged. */
    boolean record(long events, String ring, int cqEntries) {
        suppressed += events;
        long now = System.nanoTime();
        if (now - lastLogged < intervalNanos) {
            return false;
        }
        log.warn("io_uring loop {}: CQ overflowed {} time(s) since the last warning; completions waited in the "
                + "kernel's overflow list (none lost). Consider more CQ entries than {}.", ring, suppressed, cqEntries);
        lastLogged = now;
        suppressed = 0;
        return true;
    }
}
