package io.reactoruring.spring;

import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.EnableWebFlux;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Plain WebFlux applications ({@code @EnableWebFlux}, no Boot) around a {@link HandlerMapping} of
 * {@link UringResources}, so the {@code WebHandler} path runs through Spring's {@code DispatcherHandler}
 * as in an application.
 */
final class WebFluxApps {
    private WebFluxApps() {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebFlux
    static class Config {
    }

    /** A started application context. */
    record App(AnnotationConfigApplicationContext context) implements AutoCloseable {
        WebTestClient client() {
            return WebTestClient.bindToApplicationContext(context).configureClient().responseTimeout(TestSupport.T).build();
        }

        /** The application on Reactor Netty, on a free loopback port. */
        DisposableServer netty() {
            return HttpServer.create().host("127.0.0.1").port(0)
                    .handle(new ReactorHttpHandlerAdapter(WebHttpHandlerBuilder.applicationContext(context).build()))
                    .bindNow();
        }

        @Override
        public void close() {
            context.close();
        }
    }

    /** An application with {@code mapping} and, if not null, {@code routes} (router functions come first). */
    static App start(HandlerMapping mapping, RouterFunction<?>... routes) {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.register(Config.class);
        ctx.registerBean("uringFiles", HandlerMapping.class, () -> mapping);
        for (int i = 0; i < routes.length; i++) {
            RouterFunction<?> r = routes[i];
            ctx.registerBean("routes" + i, RouterFunction.class, () -> r);
        }
        ctx.refresh();
        return new App(ctx);
    }
}
