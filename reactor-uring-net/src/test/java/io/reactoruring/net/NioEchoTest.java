package io.reactoruring.net;

/** Every {@link EchoTest} on the NIO fallback. */
class NioEchoTest extends EchoTest implements LoopbackFixture.OnNio {
}
