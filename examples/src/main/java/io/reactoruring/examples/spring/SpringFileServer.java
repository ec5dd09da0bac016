package io.reactoruring.examples.spring;

import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.spring.UringDataBuffers;
import io.reactoruring.spring.UringResources;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A Spring Boot WebFlux app serving a directory through reactor-uring-spring.
 *
 * <ul>
 *   <li>{@code /**} — the site through {@link UringResources} (Spring's sendfile path where it
 *   applies, io_uring reads otherwise: TLS, compression, multipart ranges);</li>
 *   <li>{@code /uring/**} — the same files, always through io_uring reads (for comparisons);</li>
 *   <li>{@code /stock/**} — the same files through stock Spring ({@code RouterFunctions.resources},
 *   i.e. {@code ResourceHttpMessageWriter}), for side-by-side benchmarks;</li>
 *   <li>{@code POST /upload/{name}} — stores the request body in the upload directory with
 *   {@link UringDataBuffers#write} (bounded in-flight writes).</li>
 * </ul>
 *
 * <p>Run: {@code java -cp ... io.reactoruring.examples.spring.SpringFileServer --site.dir=/path}
 * (see {@code scripts/spring-e2e.sh}). The site directory gets an index page and a generated tone
 * if it has none. The io_uring loops come from the auto-configuration ({@code reactor-uring.*}).
 */
@SpringBootApplication
public class SpringFileServer {
    public static void main(String[] args) {
        application().run(args);
    }

    /** The app with its own config file name ({@code spring-file-server.properties}), so other examples are unaffected. */
    static SpringApplication application() {
        SpringApplication app = new SpringApplication(SpringFileServer.class);
        app.setDefaultProperties(java.util.Map.of("spring.config.name", "spring-file-server"));
        return app;
    }

    @Bean
    SiteContent siteContent(@Value("${site.dir:target/spring-site}") String dir) {
        return SiteContent.prepare(Path.of(dir));
    }

    @Bean
    RouterFunction<ServerResponse> routes(SiteContent site, UringLoopGroup group,
                                          @Value("${server.compression.enabled:false}") boolean compression,
                                          @Value("${site.upload-dir:target/spring-uploads}") String uploads) {
        UringResources files = UringResources.create(site.root()).withLoopGroup(group).withCompression(compression);
        Path uploadDir = SiteContent.directory(Path.of(uploads));
        return RouterFunctions.resources("/stock/**", new FileSystemResource(site.root().toString() + "/"))
                .and(files.withZeroCopy(UringResources.ZeroCopy.NEVER).router("/uring/**"))
                .and(RouterFunctions.route(RequestPredicates.POST("/upload/{name}"), request -> {
                    String name = request.pathVariable("name");
                    if (!name.matches("[A-Za-z0-9._-]{1,100}") || name.startsWith(".")) {
                        return ServerResponse.badRequest().bodyValue("bad file name\n");
                    }
                    return UringDataBuffers.write(request.bodyToFlux(org.springframework.core.io.buffer.DataBuffer.class),
                                    group.next(), uploadDir.resolve(name), 4)
                            .flatMap(n -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN)
                                    .bodyValue("stored " + n + " bytes\n"));
                }))
                .and(files.router("/**"));
    }
}
