package io.reactoruring.spring;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import reactor.netty.http.server.HttpServer;

/**
 * Adds {@link KeepAliveReads#rearm(HttpServer)} to Spring Boot's Reactor Netty server factory as a
 * server customizer. The factory and its customizer interface moved between Spring Boot 3.5
 * ({@code org.springframework.boot.web.embedded.netty}) and 4 ({@code org.springframework.boot.reactor.netty}),
 * and this module compiles against either, so both are found by name: {@code NettyReactiveWebServerFactory}
 * and the element type of its {@code addServerCustomizers(...)}.
 */
final class KeepAliveReadsPostProcessor implements BeanPostProcessor {
    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
        customize(bean);
        return bean;
    }

    /** True if {@code bean} is Spring Boot's Reactor Netty server factory, which then has the customizer. */
    static boolean customize(Object bean) {
        Method add = addServerCustomizers(bean.getClass());
        if (add == null) {
            return false;
        }
        Class<?> type = add.getParameterTypes()[0].getComponentType();
        Object customizer = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, new Customizer());
        Object array = Array.newInstance(type, 1);
        Array.set(array, 0, customizer);
        try {
            add.invoke(bean, array);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot add the keep-alive read customizer to " + bean.getClass().getName(), e);
        }
        return true;
    }

    private static @Nullable Method addServerCustomizers(Class<?> beanClass) {
        for (Class<?> c = beanClass; c != null; c = c.getSuperclass()) {
            if (c.getSimpleName().equals("NettyReactiveWebServerFactory") && c.getName().startsWith("org.springframework.boot.")) {
                for (Method m : c.getMethods()) {
                    if (m.getName().equals("addServerCustomizers") && m.getParameterCount() == 1
                            && m.getParameterTypes()[0].isArray() && m.getParameterTypes()[0].getComponentType().isInterface()) {
                        return m;
                    }
                }
            }
        }
        return null;
    }

    /** The customizer's one abstract method, {@code HttpServer apply(HttpServer)}; default methods as declared. */
    private static final class Customizer implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getName().equals("apply") && args != null && args.length == 1 && args[0] instanceof HttpServer server) {
                return KeepAliveReads.rearm(server);
            }
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            return switch (method.getName()) {
                case "toString" -> "KeepAliveReads::rearm";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(method.toString());
            };
        }
    }
}
