package io.reactoruring.examples.provider;

import io.reactoruring.file.nio.UringFileSystemProvider;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A stock Spring Boot WebFlux app that knows nothing of io_uring, run with
 * {@code -Djava.nio.file.spi.DefaultFileSystemProvider=io.reactoruring.file.nio.UringFileSystemProvider}
 * to show that the provider does not break the application it is dropped into (component scanning,
 * Boot's static resources with ranges and conditional requests, {@code Files.probeContentType}) and
 * that Spring's own file reads get io_uring channels. See docs/default-provider.md.
 *
 * <p>Serves {@code classpath:/static-provider/} and the directory {@code --site.dir} (Boot's static
 * resource handling; range requests on a file there read it through {@code AsynchronousFileChannel}),
 * {@code GET /provider} (which provider is installed and how many channels it opened on io_uring),
 * {@code GET /read/{name}} (the file through {@code DataBufferUtils.read(Path)}) and
 * {@code GET /probe/{name}} ({@code Files.probeContentType}). Prints {@code PORT=<n>} once it listens.
 */
@SpringBootApplication
public class ProviderHostApp {
    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(ProviderHostApp.class);
        // Its own config name, so the other examples' files are not picked up.
        app.setDefaultProperties(Map.of("spring.config.name", "provider-host-app"));
        app.run(args);
    }

    /** local.server.port and ApplicationReadyEvent: the same on Boot 3.5 and 4 (the web server event moved). */
    @Bean
    ApplicationListener<ApplicationReadyEvent> printPort() {
        return e -> {
            System.out.println("PORT=" + e.getApplicationContext().getEnvironment().getProperty("local.server.port"));
            System.out.flush();
        };
    }

    @Bean
    RouterFunction<ServerResponse> providerRoutes(org.springframework.core.env.Environment env) {
        Path site = Path.of(env.getProperty("site.dir", "target/provider-site"));
        return RouterFunctions.route(RequestPredicates.GET("/provider"), request -> {
            FileSystemProvider p = FileSystems.getDefault().provider();
            String body = "provider=" + p.getClass().getName();
            if (p instanceof UringFileSystemProvider u) {
                body += " uringChannels=" + u.uringChannels() + " fallbackChannels=" + u.fallbackChannels();
            }
            return ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue(body + "\n");
        }).andRoute(RequestPredicates.GET("/read/{name}"), request -> {
            Path file = site.resolve(request.pathVariable("name")).normalize();
            if (!file.startsWith(site) || !Files.isRegularFile(file)) {
                return ServerResponse.notFound().build();
            }
            return ServerResponse.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                    .body(DataBufferUtils.read(file, DefaultDataBufferFactory.sharedInstance, 4096),
                            org.springframework.core.io.buffer.DataBuffer.class);
        }).andRoute(RequestPredicates.GET("/probe/{name}"), request -> {
            try {
                String type = Files.probeContentType(site.resolve(request.pathVariable("name")));
                return ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue("type=" + type + "\n");
            } catch (IOException e) {
                return ServerResponse.status(500).bodyValue(e.toString());
            }
        });
    }
}
