package io.reactoruring.spring;

import io.reactoruring.core.UringLoopGroup;
import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.http.CacheControl;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Reads Spring Boot's static resource settings and builds the io_uring handler mapping for them, so that an
 * application that serves {@code spring.web.resources.static-locations} gets io_uring by adding the
 * dependency. The properties are read with a {@link Binder} by name (not through Boot's
 * {@code WebProperties} class), so the same code works on Boot 3.5 and 4.x:
 * <ul>
 *   <li>{@code spring.web.resources.static-locations} (Boot's default: {@code classpath:/META-INF/resources/},
 *   {@code /resources/}, {@code /static/}, {@code /public/}): {@code file:} locations and {@code classpath:}
 *   locations that are directories (exploded builds, IDE runs) are read through io_uring; a file found
 *   first inside a jar is left to Spring's stock handler, which runs next;</li>
 *   <li>{@code spring.webflux.static-path-pattern} (default {@code /**}; must end in {@code /**});</li>
 *   <li>{@code spring.web.resources.cache.period}, {@code .cache.cachecontrol.*},
 *   {@code .cache.use-last-modified}: the same headers as Boot configures;</li>
 *   <li>{@code spring.web.resources.chain.compressed} (with the chain enabled): precompressed {@code .br}
 *   and {@code .gz} variants, as Spring's {@code EncodedResourceResolver}.</li>
 * </ul>
 * Content-versioned URLs ({@code spring.web.resources.chain.strategy.*}) name no file on disk, so they
 * fall through to Spring's stock handler, which resolves them; the unversioned files are served here.
 * Files not found fall through too, so the stock handler's 404 (and anything it adds) is unchanged.
 * Directories are not given an index file here: Boot's welcome page handling serves {@code /}.
 */
final class StaticResources {
    static final List<String> DEFAULT_LOCATIONS = List.of("classpath:/META-INF/resources/", "classpath:/resources/",
            "classpath:/static/", "classpath:/public/");
    private static final String RESOURCES = "spring.web.resources.";

    private StaticResources() {
    }

    /**
     * The mapping for Boot's static resources (a {@link ResourceHandlerMapping} that falls through to the
     * next mapping for files it does not serve), or one that maps nothing when no location is a directory
     * or the pattern does not end in {@code /**}. Its order is the caller's to set.
     */
    static AbstractHandlerMapping mapping(Binder binder, ResourceLoader loader, @Nullable UringLoopGroup group,
                                          int chunkSize, boolean serverCompression) {
        String pattern = binder.bind("spring.webflux.static-path-pattern", String.class).orElse("/**");
        List<String> configured = binder.bind(RESOURCES + "static-locations", Bindable.listOf(String.class))
                .orElse(DEFAULT_LOCATIONS);
        List<UringResources.Location> locations = locations(configured, loader);
        if (!pattern.endsWith("/**") || locations.stream().noneMatch(l -> l instanceof UringResources.Directory)) {
            return new AbstractHandlerMapping() {
                @Override
                protected Mono<?> getHandlerInternal(ServerWebExchange exchange) {
                    return Mono.empty();
                }
            };
        }
        boolean chain = binder.bind(RESOURCES + "chain.enabled", Boolean.class).orElse(false)
                || binder.bind(RESOURCES + "chain.strategy.fixed.enabled", Boolean.class).orElse(false)
                || binder.bind(RESOURCES + "chain.strategy.content.enabled", Boolean.class).orElse(false);
        boolean compressed = chain && binder.bind(RESOURCES + "chain.compressed", Boolean.class).orElse(false);
        return UringResources.withLocations(locations)
                .withLoopGroup(group)
                .withChunkSize(chunkSize)
                .withCompression(serverCompression)
                .withIndexFile(null)
                .withCacheControl(cacheControl(binder))
                .withLastModified(binder.bind(RESOURCES + "cache.use-last-modified", Boolean.class).orElse(true))
                .withPrecompressed(compressed ? List.of("br", "gzip") : List.of())
                .fallThroughHandlerMapping(pattern);
    }

    /**
     * Directories served here; every other location (a jar's entries, or a class path directory that a
     * jar has no entry for, which Spring still resolves files under) is delegated in its place, so the
     * configured order holds: a file in an earlier jar location wins over one in a later directory.
     */
    static List<UringResources.Location> locations(List<String> configured, ResourceLoader loader) {
        List<UringResources.Location> out = new ArrayList<>(configured.size());
        for (String location : configured) {
            String l = location.endsWith("/") ? location : location + "/";
            Resource r = loader.getResource(l);
            UringResources.Location resolved = new UringResources.Delegated(r);
            try {
                if (r.isFile()) {
                    resolved = new UringResources.Directory(r.getFile().toPath().toAbsolutePath().normalize());
                }
            } catch (IOException | RuntimeException e) {
                // not a plain directory: Spring's stock handler resolves it
            }
            out.add(resolved);
        }
        return out;
    }

    /**
     * Boot's rule: {@code cache.cachecontrol.*} when any is set (with {@code cache.period} as the max-age
     * if that is not set), else {@code max-age} from {@code cache.period}; null when nothing is set.
     */
    static @Nullable CacheControl cacheControl(Binder binder) {
        String cc = RESOURCES + "cache.cachecontrol.";
        Duration period = duration(binder, RESOURCES + "cache.period");
        Duration maxAge = duration(binder, cc + "max-age");
        if (maxAge == null) {
            maxAge = period;
        }
        CacheControl control;
        if (flag(binder, cc + "no-store")) {
            control = CacheControl.noStore();
        } else if (flag(binder, cc + "no-cache")) {
            control = CacheControl.noCache();
        } else if (maxAge != null) {
            control = CacheControl.maxAge(maxAge.getSeconds(), TimeUnit.SECONDS);
        } else {
            control = CacheControl.empty();
        }
        if (flag(binder, cc + "must-revalidate")) {
            control = control.mustRevalidate();
        }
        if (flag(binder, cc + "no-transform")) {
            control = control.noTransform();
        }
        if (flag(binder, cc + "cache-public")) {
            control = control.cachePublic();
        }
        if (flag(binder, cc + "cache-private")) {
            control = control.cachePrivate();
        }
        if (flag(binder, cc + "proxy-revalidate")) {
            control = control.proxyRevalidate();
        }
        Duration swr = duration(binder, cc + "stale-while-revalidate");
        if (swr != null) {
            control = control.staleWhileRevalidate(swr.getSeconds(), TimeUnit.SECONDS);
        }
        Duration sie = duration(binder, cc + "stale-if-error");
        if (sie != null) {
            control = control.staleIfError(sie.getSeconds(), TimeUnit.SECONDS);
        }
        Duration sMaxAge = duration(binder, cc + "s-max-age");
        if (sMaxAge != null) {
            control = control.sMaxAge(sMaxAge.getSeconds(), TimeUnit.SECONDS);
        }
        return control.getHeaderValue() == null ? null : control;
    }

    private static boolean flag(Binder binder, String name) {
        return binder.bind(name, Boolean.class).orElse(false);
    }

    /** Boot's duration syntax; a bare number means seconds there ({@code @DurationUnit(SECONDS)}). */
    private static @Nullable Duration duration(Binder binder, String name) {
        String value = binder.bind(name, String.class).orElse(null);
        return value == null || value.isBlank() ? null : DurationStyle.detectAndParse(value.trim(), ChronoUnit.SECONDS);
    }
}
