package io.reactoruring.net;

/** Every {@link ConnectCancelTest} on the NIO fallback. */
class NioConnectCancelTest extends ConnectCancelTest implements LoopbackFixture.OnNio {
}
