/** A stock Spring Boot WebFlux app run with reactor-uring's default file system provider (docs/default-provider.md). */
@NullMarked
package io.reactoruring.examples.provider;

import org.jspecify.annotations.NullMarked;
