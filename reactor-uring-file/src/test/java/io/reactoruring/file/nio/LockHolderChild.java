package io.reactoruring.file.nio;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run in a child JVM by {@link UringAsynchronousFileChannelTest}: holds an exclusive lock on the file
 * named by the argument, prints {@code locked}, and releases it (by exiting) when its stdin closes.
 * Another process is the only way to see a POSIX record lock block: within one JVM the lock table
 * reports an overlap instead.
 */
public final class LockHolderChild {
    private LockHolderChild() {
    }

    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            System.out.println("locked " + lock.isValid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to close our stdin
            }
        }
    }
}
