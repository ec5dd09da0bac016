package io.reactoruring.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * When a request to a child JVM times out, its threads say where it hangs: SIGQUIT makes the JVM
 * print a thread dump to its stdout, which the tests pump into the child's log.
 */
public final class ChildThreadDump {
    private ChildThreadDump() {
    }

    /** Asks {@code child} for a thread dump and waits (bounded) until it appears in {@code log}. */
    public static void request(Process child, Path log) {
        if (!child.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(child.pid())).inheritIO().start().waitFor();
            for (int i = 0; i < 100 && !Files.readString(log, StandardCharsets.UTF_8).contains("Full thread dump"); i++) {
                Thread.sleep(100); // polling a file another thread writes: bounded, no result depends on it
            }
            Thread.sleep(500); // let the pump copy the rest of the dump
        } catch (IOException e) {
            // no dump: the assertion message still carries the log
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
