package io.reactoruring.net;

/** Every {@link ReceiveConventionTest} on the NIO fallback. */
class NioReceiveConventionTest extends ReceiveConventionTest implements LoopbackFixture.OnNio {
}
