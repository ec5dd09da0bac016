package io.reactoruring.net;

import io.reactoruring.core.Errno;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.util.Loggers;

/**
 * Run by {@link AcceptEmfileTest} in a JVM with a low open-files limit: an echo server whose
 * process runs out of fds on command, so that its accept fails with EMFILE for real, and gets
 * them back on command. Talks over stdin/stdout: prints {@code port=N}, then waits for
 * {@code fill} (answers {@code full=N}), {@code free} ({@code freed}) and {@code exit}.
 */
public final class AcceptEmfileMain {
    private AcceptEmfileMain() {
    }

    public static void main(String[] args) throws Exception {
        Duration t = Duration.ofSeconds(10);
        UringServer server = UringTcpServer.create().port(0)
                .handle((in, out) -> out.sendPooled(in.receive()))
                .bindNow(t);
        // Load now what the failing accept will need, while files can still be opened (classes too).
        try (Socket warm = new Socket("127.0.0.1", server.port())) {
            OutputStream o = warm.getOutputStream();
            o.write('w');
            warm.shutdownOutput();
            warm.getInputStream().readAllBytes();
        }
        if (io.reactoruring.core.Uring.isAvailable()) {
            // The accept retry waits on a loop timer: load its classes while files can be opened.
            reactor.core.publisher.Mono.delay(Duration.ofMillis(1), io.reactoruring.core.UringLoopGroup.shared().next())
                    .block(t);
        }
        Loggers.getLogger(AcceptEmfileMain.class).warn("warm-up " + server, Errno.exception(Errno.EMFILE, "accept", "warm-up"));
        Loggers.getLogger(AcceptEmfileMain.class).warn("warm-up", new IOException("Too many open files"));
        System.out.println("port=" + server.port());
        System.out.flush();

        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<FileInputStream> hoard = new ArrayList<>();
        for (String line; (line = commands.readLine()) != null; ) {
            switch (line) {
                case "fill" -> {
                    try {
                        while (true) {
                            hoard.add(new FileInputStream("/dev/null"));
                        }
                    } catch (IOException full) {
                        System.out.println("full=" + hoard.size());
                    }
                }
                case "free" -> {
                    for (FileInputStream f : hoard) {
                        f.close();
                    }
                    hoard.clear();
                    System.out.println("freed");
                }
                case "exit" -> {
                    server.disposeNow(t);
                    System.out.println("bye");
                    return;
                }
                default -> System.out.println("unknown command " + line);
            }
            System.out.flush();
        }
    }
}
