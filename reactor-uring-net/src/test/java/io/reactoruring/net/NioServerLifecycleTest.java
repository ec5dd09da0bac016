package io.reactoruring.net;

/** Every {@link ServerLifecycleTest} on the NIO fallback. */
class NioServerLifecycleTest extends ServerLifecycleTest implements LoopbackFixture.OnNio {
}
