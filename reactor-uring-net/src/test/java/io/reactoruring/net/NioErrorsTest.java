package io.reactoruring.net;

/** Every {@link ErrorsTest} on the NIO fallback. */
class NioErrorsTest extends ErrorsTest implements LoopbackFixture.OnNio {
}
