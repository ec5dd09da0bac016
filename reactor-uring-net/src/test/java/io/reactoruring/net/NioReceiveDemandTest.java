package io.reactoruring.net;

/** Every {@link ReceiveDemandTest} on the NIO fallback. */
class NioReceiveDemandTest extends ReceiveDemandTest implements LoopbackFixture.OnNio {
}
