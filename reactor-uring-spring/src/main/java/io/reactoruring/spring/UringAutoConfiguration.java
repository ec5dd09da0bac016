package io.reactoruring.spring;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
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
 * <p>Active unless {@code reactor-uring.enabled=false}, and only when io_uring works on this
 * machine ({@link Uring#isAvailable()}; otherwise the condition report gives the cause and the
 * application runs without these beans). It provides:
 * <ul>
 *   <li>a {@link UringLoopGroup} bean ({@code reactor-uring.loops} loops with
 *   {@code reactor-uring.ring-size} SQ entries), disposed with the context — unless the
 *   application defines its own;</li>
 *   <li>with Micrometer on the class path, a {@link UringMeterBinder} for that group (Boot binds
 *   every MeterBinder bean to its registries);</li>
 *   <li>in a reactive web application with {@code reactor-uring.resources.location} set, a
 *   {@link UringResources} router for it under {@code reactor-uring.resources.path-pattern}, taking
 *   {@code server.compression.enabled} into account for the zero-copy decision.</li>
 * </ul>
 */
@AutoConfiguration
@ConditionalOnClass(UringLoopGroup.class)
@ConditionalOnProperty(prefix = "reactor-uring", name = "enabled", havingValue = "true", matchIfMissing = true)
@Conditional(UringAutoConfiguration.IoUringAvailable.class)
@EnableConfigurationProperties(UringProperties.class)
public class UringAutoConfiguration {

    @Bean(destroyMethod = "dispose")
    @ConditionalOnMissingBean
    public UringLoopGroup uringLoopGroup(UringProperties properties) {
        int loops = properties.getLoops();
        if (loops < 0) {
            throw new IllegalArgumentException("reactor-uring.loops must be >= 0, was " + loops);
        }
        int count = loops == 0 ? Runtime.getRuntime().availableProcessors() : loops;
        return UringLoopGroup.create("reactor-uring-spring", count,
                RingOptions.defaults().sqEntries(properties.getRingSize()));
    }

    /** Ring metrics, when Micrometer is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        UringMeterBinder uringMeterBinder(UringLoopGroup group) {
            return new UringMeterBinder(group);
        }
    }

    /** The optional static resource router. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RouterFunction.class)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnProperty(prefix = "reactor-uring.resources", name = "location")
    static class Resources {
        @Bean
        RouterFunction<ServerResponse> uringResourcesRouter(UringLoopGroup group, UringProperties properties,
                                                            Environment environment) {
            UringProperties.Resources r = properties.getResources();
            String location = r.getLocation();
            return UringResources.create(Path.of(location == null ? "." : location))
                    .withLoopGroup(group)
                    .withChunkSize(r.getChunkSize())
                    .withZeroCopy(r.isZeroCopy() ? UringResources.ZeroCopy.AUTO : UringResources.ZeroCopy.NEVER)
                    .withCompression(environment.getProperty("server.compression.enabled", Boolean.class, false))
                    .router(r.getPathPattern());
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
