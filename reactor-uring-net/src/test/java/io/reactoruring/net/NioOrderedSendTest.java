package io.reactoruring.net;

/** {@link OrderedSendTest} on the NIO fallback. */
class NioOrderedSendTest extends OrderedSendTest implements LoopbackFixture.OnNio {
}
