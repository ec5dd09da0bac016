package io.reactoruring.spring;

import java.util.Map;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

/**
 * The {@link HandlerMapping} of {@link UringResources}: matches {@code prefix/**}, looks the file up while
 * mapping (so that a request for a missing file can fall through to the next mapping) and returns a
 * {@link WebHandler} that writes the response straight into the exchange, as Spring's own static resources
 * do ({@code SimpleUrlHandlerMapping} + {@code ResourceWebHandler}): Spring's {@code SimpleHandlerAdapter}
 * runs it, with none of the functional endpoint machinery ({@code ServerRequest}, {@code ServerResponse},
 * result handling). Sets {@link HandlerMapping#BEST_MATCHING_HANDLER_ATTRIBUTE} and
 * {@link HandlerMapping#BEST_MATCHING_PATTERN_ATTRIBUTE} (the {@code uri} tag of Boot's request metrics), as
 * Spring's URL handler mappings do.
 */
final class ResourceHandlerMapping extends AbstractHandlerMapping {
    private static final WebHandler NOT_FOUND = exchange -> {
        exchange.getResponse().setStatusCode(HttpStatus.NOT_FOUND);
        return exchange.getResponse().setComplete();
    };

    private final UringResourceHandler handler;
    private final PathPattern pattern;
    private final PathPattern matched;
    private final String description;
    private final boolean fallThrough;

    ResourceHandlerMapping(UringResources config, String pattern, boolean fallThrough) {
        this.pattern = UringResources.capturing(pattern);
        this.handler = new UringResourceHandler(config);
        this.matched = PathPatternParser.defaultInstance.parse(pattern);
        this.description = "UringResources " + pattern + " -> " + config.locations;
        this.fallThrough = fallThrough;
    }

    @Override
    protected Mono<?> getHandlerInternal(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        PathPattern.PathMatchInfo match = pattern.matchAndExtract(request.getPath().pathWithinApplication());
        if (match == null) {
            return Mono.empty();
        }
        String relative = match.getUriVariables().getOrDefault(UringResources.PATH_VARIABLE, "");
        boolean getOrHead = request.getMethod() == HttpMethod.GET || request.getMethod() == HttpMethod.HEAD;
        boolean notFoundHere = !fallThrough && getOrHead;
        return Mono.fromCallable(() -> {
            UringResourceHandler.Found f = handler.findNow(request, relative);
            WebHandler h;
            if (f == null || f.kind() == UringResourceHandler.Kind.DELEGATE) {
                if (!notFoundHere) {
                    return null;
                }
                h = NOT_FOUND;
            } else {
                h = new FileHandler(handler, f);
            }
            Map<String, Object> attributes = exchange.getAttributes();
            attributes.put(BEST_MATCHING_HANDLER_ATTRIBUTE, h);
            attributes.put(BEST_MATCHING_PATTERN_ATTRIBUTE, matched);
            return h;
        });
    }

    /** The handler for one request: writes what the mapping found. */
    record FileHandler(UringResourceHandler handler, UringResourceHandler.Found found) implements WebHandler {
        @Override
        public Mono<Void> handle(ServerWebExchange exchange) {
            return handler.write(exchange, found);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
