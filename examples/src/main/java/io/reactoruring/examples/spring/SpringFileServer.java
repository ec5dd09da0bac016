package io.reactoruring.examples.spring;

import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.spring.UringDataBuffers;
import io.reactoruring.spring.UringResources;
import java.nio.file.Path;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
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
 * With {@code --site.routes=false} none of these routes exist and only Spring Boot's own static resources
 * ({@code spring.web.resources.*}) answer, through io_uring or, with
 * {@code --reactor-uring.static-resources.enabled=false}, stock Spring ({@code scripts/spring-bench.sh}
 * compares the two on precompressed files).
 *
 * <p>Run: {@code java -cp ... io.reactoruring.examples.spring.SpringFileServer --site.dir=/path}
 * (see {@code scripts/spring-e2e.sh}). The site directory gets an index page and a generated tone
 * if it has none. The io_uring loops come from the auto-configuration ({@code reactor-uring.*}); where
 * io_uring is unavailable the app starts and answers the same (see {@code SpringFileServerProcessTest}).
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

    /** Where it listens, once it does (local.server.port and ApplicationReadyEvent: the same on Boot 3.5 and 4). */
    @Bean
    ApplicationListener<ApplicationReadyEvent> announcePort(SiteContent site) {
        return e -> {
            System.out.println("SpringFileServer: serving " + site.root() + " on http://localhost:"
                    + e.getApplicationContext().getEnvironment().getProperty("local.server.port") + "/");
            System.out.flush();
        };
    }

    /**
     * @param groups the auto-configured io_uring loops; none where io_uring is unavailable (Docker's
     *               default seccomp profile, an old kernel, {@code -Dreactoruring.disabled=true}): then
     *               every route answers the same through NIO, after one warning
     */
    @Bean
    @ConditionalOnProperty(name = "site.routes", havingValue = "true", matchIfMissing = true)
    RouterFunction<ServerResponse> routes(SiteContent site, ObjectProvider<UringLoopGroup> groups,
                                          @Value("${server.compression.enabled:false}") boolean compression,
                                          @Value("${site.upload-dir:target/spring-uploads}") String uploads) {
        UringLoopGroup group = groups.getIfAvailable();
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
                                    group, uploadDir.resolve(name), 4)
                            .flatMap(n -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN)
                                    .bodyValue("stored " + n + " bytes\n"));
                }))
                .and(files.router("/**"));
    }
}
