package io.reactoruring.net;

/** Every {@link SendFileTest} on the NIO fallback. */
class NioSendFileTest extends SendFileTest implements LoopbackFixture.OnNio {
}
