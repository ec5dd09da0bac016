package io.reactoruring.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Counts this process's descriptors that belong to one test: open on a given file, under a given
 * directory, or on a TCP socket with a given port. A count of every fd of the JVM is disturbed by
 * what other threads do meanwhile (other loops closing their fds, the class loader opening a jar, a
 * previous test's sockets closing late) and made leak assertions flaky; these counts are not.
 */
public final class Fds {
    private Fds() {
    }

    /** Descriptors whose /proc/self/fd link is exactly {@code file}. */
    public static long openOn(Path file) {
        String target = file.toAbsolutePath().toString();
        return count(link -> link.equals(target));
    }

    /** Descriptors open on {@code dir} itself or anything below it. */
    public static long openUnder(Path dir) {
        String target = dir.toAbsolutePath().toString();
        return count(link -> link.equals(target) || link.startsWith(target + "/"));
    }

    /** Every socket descriptor of the process (no jars, pipes, eventfds or rings). */
    public static long sockets() {
        return count(link -> link.startsWith("socket:["));
    }

    /**
     * TCP sockets (IPv4 and IPv6) whose local or remote port is {@code port}: both ends of loopback
     * connections to a test's server, and its listening socket.
     */
    public static long tcpSocketsOnPort(int port) {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            inodes.addAll(socketInodes(Path.of(table), port));
        }
        return count(link -> link.startsWith("socket:[") && inodes.contains(link.substring(8, link.length() - 1)));
    }

    /**
     * The sockets {@link #tcpSocketsOnPort} counts, one per entry as {@code "fd 41: :35417 -> :51234
     * CLOSE_WAIT"} (local and remote port, TCP state), for failure messages: a listening socket
     * (LISTEN), a server end whose client has gone (CLOSE_WAIT) and a client end (remote port =
     * {@code port}) each point at a different owner.
     */
    public static List<String> describeTcpSocketsOnPort(int port) {
        Map<String, String> sockets = new HashMap<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            sockets.putAll(socketsOnPort(Path.of(table), port));
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    String socket = link.startsWith("socket:[") ? sockets.get(link.substring(8, link.length() - 1)) : null;
                    if (socket != null) {
                        out.add("fd " + fd.getFileName() + ": " + socket);
                    }
                } catch (IOException e) { // closed while listing
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Set<String> socketInodes(Path table, int port) {
        return socketsOnPort(table, port).keySet();
    }

    /** Inode to "local port -> remote port STATE" of the sockets in {@code table} with {@code port} at either end. */
    private static Map<String, String> socketsOnPort(Path table, int port) {
        Map<String, String> out = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (NoSuchFileException e) { // no IPv6
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String hexPort = String.format(":%04X", port);
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if (f.length > 9 && (f[1].endsWith(hexPort) || f[2].endsWith(hexPort))) {
                out.put(f[9], ":" + hexToPort(f[1]) + " -> :" + hexToPort(f[2]) + " " + state(f[3]));
            }
        }
        return out;
    }

    private static int hexToPort(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }

    private static String state(String hex) {
        int s = Integer.parseInt(hex, 16);
        return s >= 1 && s < STATES.length ? STATES[s] : "state " + hex;
    }

    /** include/net/tcp_states.h, from 1. */
    private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    private static long count(Predicate<String> linkMatches) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return linkMatches.test(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) { // closed while listing
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
