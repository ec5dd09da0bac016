package io.reactoruring.spring;

import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.util.pattern.PathPattern;
import reactor.core.publisher.Mono;

/**
 * The router of {@link UringResources}: matches {@code prefix/**}, looks the file up while routing
 * (so that a request for a missing file can fall through to other routes) and hands the handler
 * what it found, so each request is resolved once.
 */
final class ResourceRouter implements RouterFunction<ServerResponse> {
    private static final HandlerFunction<ServerResponse> NOT_FOUND = r -> ServerResponse.notFound().build();

    private final UringResourceHandler handler;
    private final PathPattern pattern;
    private final String description;

    ResourceRouter(UringResources config, String pattern) {
        this.pattern = UringResources.capturing(pattern);
        this.handler = new UringResourceHandler(config);
        this.description = "UringResources " + pattern + " -> " + config.locations;
    }

    @Override
    public Mono<HandlerFunction<ServerResponse>> route(ServerRequest request) {
        PathPattern.PathMatchInfo match = pattern.matchAndExtract(request.requestPath().pathWithinApplication());
        if (match == null) {
            return Mono.empty();
        }
        String relative = match.getUriVariables().getOrDefault(UringResources.PATH_VARIABLE, "");
        boolean getOrHead = request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD;
        return Mono.fromCallable(() -> {
            UringResourceHandler.Found f = handler.findNow(request.exchange().getRequest(), relative);
            if (f == null || f.kind() == UringResourceHandler.Kind.DELEGATE) {
                return getOrHead ? NOT_FOUND : null;
            }
            return r -> handler.serve(r, f);
        });
    }

    @Override
    public void accept(RouterFunctions.Visitor visitor) {
        visitor.unknown(this);
    }

    @Override
    public String toString() {
        return description;
    }
}
