package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Host names are looked up off the caller's thread (it may be a loop); literals need no lookup. */
class ResolveTest {
    @Test
    void namesResolveOnBoundedElasticAndLiteralsOnTheCallingThread() {
        StepVerifier.create(SockAddr.resolveLater("localhost", 80).map(a -> Thread.currentThread().getName()))
                .assertNext(name -> assertThat(name).startsWith("boundedElastic"))
                .verifyComplete();
        String caller = Thread.currentThread().getName();
        assertThat(SockAddr.isLiteral("1.2.3.4.5")).as("not a dotted quad: may be a name").isFalse();
        assertThat(SockAddr.isLiteral("example.org")).isFalse();
        for (String literal : new String[] {"127.0.0.1", "::1", "[::1]"}) {
            StepVerifier.create(SockAddr.resolveLater(literal, 80).map(a -> Thread.currentThread().getName()))
                    .expectNext(caller).verifyComplete();
        }
    }
}
