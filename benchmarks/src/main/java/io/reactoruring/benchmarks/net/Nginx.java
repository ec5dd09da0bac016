package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * nginx as a reference static file server: one process ({@code master_process off}, so the process
 * started is the one serving and its /proc CPU time is nginx's), loopback only, on a free high port,
 * with a temporary configuration and prefix directory. {@code sendfile on}: nginx sends file pages
 * without copying them to user space, which neither Reactor server below does for small files.
 */
final class Nginx {
    private Nginx() {
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/sbin/nginx"));
    }

    static ServerProcess start(Path root, Path work) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path conf = work.resolve("nginx.conf");
        Files.writeString(conf, String.join("\n",
                "daemon off;",
                "master_process off;",
                "worker_processes 1;",
                "pid " + work.resolve("nginx.pid") + ";",
                "error_log " + work.resolve("error.log") + " warn;",
                "events { worker_connections 1024; }",
                "http {",
                "  access_log off;",
                "  sendfile on;",
                "  keepalive_requests 100000000;",
                "  client_body_temp_path " + work.resolve("body") + ";",
                "  default_type application/octet-stream;",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                "    root " + root.toAbsolutePath() + ";",
                "  }",
                "}", ""));
        Process p = new ProcessBuilder("/usr/sbin/nginx", "-p", work.toString(), "-c", conf.toString())
                .redirectErrorStream(true).start();
        ServerProcess server = ServerProcess.external("nginx", p, port, "nginx 1 process (master_process off), sendfile on");
        // Wait (bounded) until it accepts connections.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return server;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    server.stop();
                    throw new IOException("nginx did not start: " + (Files.exists(work.resolve("error.log")) ? Files.readString(work.resolve("error.log")) : "") + " "
                            + String.join("\n", server.drainOutput()), e);
                }
                Thread.sleep(50);
            }
        }
    }
}
