package io.reactoruring.net;

/**
 * When a connection last received and last sent (System.nanoTime stamps), read by the loop's
 * {@link IdleTicker}. Stamping is a volatile write per received buffer and per buffer handed to a send.
 */
final class ConnectionActivity {
    volatile long lastRead;
    volatile long lastWrite;
    volatile boolean closed;
    private IdleTicker.@org.jspecify.annotations.Nullable Watch readIdle;
    private IdleTicker.@org.jspecify.annotations.Nullable Watch writeIdle;
    private IdleTicker.@org.jspecify.annotations.Nullable Watch idle;

    ConnectionActivity() {
        long now = System.nanoTime();
        lastRead = now;
        lastWrite = now;
    }

    void read() {
        lastRead = System.nanoTime();
    }

    void wrote() {
        lastWrite = System.nanoTime();
    }

    /** Replaces the callback of {@code kind} (as Reactor Netty's onReadIdle/onWriteIdle replace theirs). */
    synchronized void watch(ConnectionIo io, IdleTicker.Kind kind, java.time.Duration timeout, Runnable action) {
        IdleTicker.Watch w = IdleTicker.of(io).watch(this, kind, timeout, action);
        IdleTicker.Watch old = switch (kind) {
            case READ -> { IdleTicker.Watch o = readIdle; readIdle = w; yield o; }
            case WRITE -> { IdleTicker.Watch o = writeIdle; writeIdle = w; yield o; }
            case ANY -> { IdleTicker.Watch o = idle; idle = w; yield o; }
        };
        if (old != null) {
            old.cancel();
        }
    }

    /** The connection is closing: the ticker drops its watches. */
    synchronized void close() {
        closed = true;
        for (IdleTicker.Watch w : new IdleTicker.Watch[] {readIdle, writeIdle, idle}) {
            if (w != null) {
                w.cancel();
            }
        }
    }
}
