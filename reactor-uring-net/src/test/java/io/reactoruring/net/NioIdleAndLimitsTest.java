package io.reactoruring.net;

/** Every {@link IdleAndLimitsTest} on the NIO fallback. */
class NioIdleAndLimitsTest extends IdleAndLimitsTest implements LoopbackFixture.OnNio {
}
