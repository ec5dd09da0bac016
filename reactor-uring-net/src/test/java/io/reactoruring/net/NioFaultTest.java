package io.reactoruring.net;

/** Every {@link FaultTest} on the NIO fallback. */
class NioFaultTest extends FaultTest implements LoopbackFixture.OnNio {
}
