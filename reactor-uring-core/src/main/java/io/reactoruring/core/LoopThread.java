package io.reactoruring.core;

import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.NonBlocking;

/** The thread of one {@link UringLoop}; {@link NonBlocking} makes Reactor's {@code block()} throw on it. */
final class LoopThread extends Thread implements NonBlocking {
    final UringLoop loop;

    LoopThread(UringLoop loop, Runnable body, String name) {
        super(body, name);
        this.loop = loop;
        setDaemon(true);
    }

    /** The loop running the current thread, if it is a loop thread. */
    static @Nullable UringLoop current() {
        Thread t = Thread.currentThread();
        return t instanceof LoopThread ? ((LoopThread) t).loop : null;
    }
}
