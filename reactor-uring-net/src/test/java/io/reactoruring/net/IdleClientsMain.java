package io.reactoruring.net;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVM for {@link SharedRingScaleTest}: opens {@code args[1]} idle connections to port
 * {@code args[0]}, prints "open N", closes them all when a line arrives on stdin, prints "closed".
 * Its own process, so the connections' client ends count against its fd limit, not the test's.
 */
public final class IdleClientsMain {
    private IdleClientsMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        List<SocketChannel> open = new ArrayList<>(count);
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", port);
        for (int i = 0; i < count; i++) {
            open.add(SocketChannel.open(server));
        }
        System.out.println("open " + open.size());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        for (SocketChannel c : open) {
            c.close();
        }
        System.out.println("closed");
        System.out.flush();
    }
}
