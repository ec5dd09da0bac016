package io.reactoruring.net;

/** Every {@link FdLeakTest} on the NIO fallback. */
class NioFdLeakTest extends FdLeakTest implements LoopbackFixture.OnNio {
}
