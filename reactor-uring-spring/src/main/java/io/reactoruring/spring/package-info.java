/**
 * Spring WebFlux on reactor-uring: file contents as {@code Flux<DataBuffer>} and uploads written
 * with bounded in-flight writes ({@link io.reactoruring.spring.UringDataBuffers}), a static
 * resource router ({@link io.reactoruring.spring.UringResources}) and Spring Boot
 * auto-configuration with Micrometer ring metrics ({@link io.reactoruring.spring.UringAutoConfiguration}).
 *
 * <p>Spring, Reactor Netty and Micrometer are optional dependencies: the application brings its own.
 */
@NullMarked
package io.reactoruring.spring;

import org.jspecify.annotations.NullMarked;
