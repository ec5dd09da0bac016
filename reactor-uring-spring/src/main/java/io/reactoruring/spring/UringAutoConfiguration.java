package io.reactoruring.spring;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.io.ResourceLoader;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.reactive.config.CorsRegistry;
import org.springframework.web.reactive.config.WebFluxConfigurationSupport;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Spring Boot auto-configuration (registered in
 * {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}).
 *
 * <p>Active unless {@code reactor-uring.enabled=false}. It provides:
 * <ul>
 *   <li>where io_uring works ({@link Uring#isAvailable()}; otherwise the condition report gives the
 *   cause), a {@link UringLoopGroup} bean ({@code reactor-uring.loops} loops with
 *   {@code reactor-uring.ring-size} SQ entries), disposed with the context — unless the
 *   application defines its own — and, with Micrometer, a {@link UringMeterBinder} for it;</li>
 *   <li>in a reactive web application, io_uring serving for Spring Boot's own static resources:
 *   {@code spring.web.resources.static-locations} under {@code spring.webflux.static-path-pattern},
 *   with {@code spring.web.resources.cache.*} and the precompressed variants of
 *   {@code spring.web.resources.chain.compressed} (see {@link StaticResources});</li>
 *   <li>in a reactive web application with {@code reactor-uring.resources.location} set, a
 *   {@link UringResources} router for it under {@code reactor-uring.resources.path-pattern}, taking
 *   {@code server.compression.enabled} into account for the zero-copy decision;</li>
 *   <li>on Spring Boot's Reactor Netty server, {@link KeepAliveReads}: a workaround for Reactor Netty
 *   1.2.18 and 1.3.6-1.3.7 leaving a kept-alive HTTP/1.1 connection unread after a queued request was
 *   answered synchronously (its next request never answered); {@code reactor-uring.keep-alive-reads=false}
 *   turns it off.</li>
 * </ul>
 * The web beans exist also without io_uring; they then serve through Spring's zero-copy path and NIO
 * reads, after one warning.
 */
// Before Boot's WebFlux auto-configuration (Boot 3.5 and 4 names), so that, like it, the static
// resources back off when the application brings its own WebFlux configuration (@EnableWebFlux).
@AutoConfiguration(beforeName = {"org.springframework.boot.autoconfigure.web.reactive.WebFluxAutoConfiguration",
        "org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration"})
@ConditionalOnClass(UringLoopGroup.class)
@ConditionalOnProperty(prefix = "reactor-uring", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(UringProperties.class)
public class UringAutoConfiguration {
    /** Instantiated by Spring Boot's auto-configuration, not by applications. */
    public UringAutoConfiguration() {
    }

    /** The loops, where io_uring works. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(UringAutoConfiguration.IoUringAvailable.class)
    static class Loops {
        @Bean(destroyMethod = "dispose")
        @ConditionalOnMissingBean
        UringLoopGroup uringLoopGroup(UringProperties properties) {
            int loops = properties.getLoops();
            if (loops < 0) {
                throw new IllegalArgumentException("reactor-uring.loops must be >= 0, was " + loops);
            }
            int count = loops == 0 ? Runtime.getRuntime().availableProcessors() : loops;
            return UringLoopGroup.create("reactor-uring-spring", count,
                    RingOptions.defaults().sqEntries(properties.getRingSize()));
        }
    }

    /** Ring metrics, when Micrometer is present and there are loops. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    @Conditional(UringAutoConfiguration.IoUringAvailable.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        UringMeterBinder uringMeterBinder(UringLoopGroup group) {
            return new UringMeterBinder(group);
        }
    }

    /** The auto-configured group, or null (after the one warning) when io_uring cannot be used. */
    static @Nullable UringLoopGroup groupOrFallback(ObjectProvider<UringLoopGroup> group) {
        UringLoopGroup g = group.getIfAvailable();
        if (g == null) {
            return UringGroups.sharedOrNull();
        }
        return g;
    }

    /** The optional static resource router. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RouterFunction.class)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnProperty(prefix = "reactor-uring.resources", name = "location")
    static class Resources {
        @Bean
        RouterFunction<ServerResponse> uringResourcesRouter(ObjectProvider<UringLoopGroup> group,
                                                            UringProperties properties, Environment environment) {
            UringProperties.Resources r = properties.getResources();
            String location = r.getLocation();
            return UringResources.create(Path.of(location == null ? "." : location))
                    .withLoopGroup(groupOrFallback(group))
                    .withChunkSize(r.getChunkSize())
                    .withZeroCopy(r.isZeroCopy() ? UringResources.ZeroCopy.AUTO : UringResources.ZeroCopy.NEVER)
                    .withCompression(environment.getProperty("server.compression.enabled", Boolean.class, false))
                    .router(r.getPathPattern());
        }
    }

    /**
     * io_uring for Boot's own static resources ({@code spring.web.resources.*}): a handler mapping whose
     * handlers are {@code WebHandler}s, as Boot's own resource mapping ({@code SimpleUrlHandlerMapping} +
     * {@code ResourceWebHandler}), ordered just before it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(AbstractHandlerMapping.class)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnProperty(prefix = "reactor-uring.static-resources", name = "enabled", havingValue = "true",
            matchIfMissing = true)
    @ConditionalOnProperty(prefix = "spring.web.resources", name = "add-mappings", havingValue = "true",
            matchIfMissing = true)
    // As Boot's own static resources: none when the application configures WebFlux itself (@EnableWebFlux).
    @ConditionalOnMissingBean(WebFluxConfigurationSupport.class)
    static class StaticResourcesConfiguration {
        /** Just before Spring's resource handler mapping ({@code LOWEST_PRECEDENCE - 1}). */
        static final int ORDER = Ordered.LOWEST_PRECEDENCE - 2;

        @Bean
        AbstractHandlerMapping uringStaticResourcesMapping(ObjectProvider<UringLoopGroup> group, UringProperties properties,
                                                           Environment environment, ResourceLoader resourceLoader,
                                                           ObjectProvider<WebFluxConfigurer> configurers) {
            AbstractHandlerMapping mapping = StaticResources.mapping(Binder.get(environment), resourceLoader,
                    groupOrFallback(group), properties.getResources().getChunkSize(),
                    environment.getProperty("server.compression.enabled", Boolean.class, false));
            // Controllers (order 0) and router functions (-1) keep precedence over static files, as with stock
            // Spring; files this mapping does not serve fall through to Spring's own resource mapping.
            mapping.setOrder(ORDER);
            // The application's global CORS mappings, which Spring gives its own resource mapping too.
            CollectedCors cors = new CollectedCors();
            configurers.orderedStream().forEach(c -> c.addCorsMappings(cors));
            Map<String, CorsConfiguration> configurations = cors.configurations();
            if (!configurations.isEmpty()) {
                mapping.setCorsConfigurations(configurations);
            }
            return mapping;
        }
    }

    /** The CORS mappings {@link WebFluxConfigurer}s register, collected as {@code WebFluxConfigurationSupport} does. */
    static final class CollectedCors extends CorsRegistry {
        Map<String, CorsConfiguration> configurations() {
            return getCorsConfigurations();
        }
    }

    /** The keep-alive read workaround for Spring Boot's Reactor Netty server ({@link KeepAliveReads}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "reactor.netty.http.server.HttpServer")
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnProperty(prefix = "reactor-uring", name = "keep-alive-reads", havingValue = "true", matchIfMissing = true)
    static class NettyKeepAlive {
        @Bean
        static KeepAliveReadsPostProcessor uringKeepAliveReadsPostProcessor() {
            return new KeepAliveReadsPostProcessor();
        }
    }

    /** Matches when io_uring can be used; the outcome message names the cause when it cannot. */
    static final class IoUringAvailable extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            if (Uring.isAvailable()) {
                return ConditionOutcome.match("io_uring is available");
            }
            return ConditionOutcome.noMatch("io_uring is unavailable: " + Uring.unavailabilityCause());
        }
    }
}
