/** A Spring Boot WebFlux app serving files through reactor-uring-spring. */
@NullMarked
package io.reactoruring.examples.spring;

import org.jspecify.annotations.NullMarked;
