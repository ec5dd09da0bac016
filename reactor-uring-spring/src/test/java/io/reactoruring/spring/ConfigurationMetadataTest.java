package io.reactoruring.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.PropertyDescriptor;
import java.io.InputStream;
import java.lang.reflect.AnnotatedElement;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.annotation.MergedAnnotations;

/**
 * The shipped {@code META-INF/spring-configuration-metadata.json} (what IDEs complete from) lists every
 * {@code reactor-uring.*} property the module reads, with a description, its type and its default.
 */
class ConfigurationMetadataTest {
    private static final String PREFIX = UringProperties.class.getAnnotation(ConfigurationProperties.class).value();

    @Test
    void everyBoundPropertyIsDescribedWithItsDefault() throws Exception {
        Map<String, Map<String, Object>> metadata = metadata();
        Map<String, Object> bound = new LinkedHashMap<>();
        collect(PREFIX, new UringProperties(), bound);
        assertThat(bound).as("UringProperties binds these (a sanity check of this test's walk)")
                .containsKeys("reactor-uring.enabled", "reactor-uring.ring-size", "reactor-uring.resources.zero-copy");

        for (Map.Entry<String, Object> e : bound.entrySet()) {
            Map<String, Object> p = metadata.get(e.getKey());
            assertThat(p).as("metadata of %s", e.getKey()).isNotNull();
            assertThat((String) p.get("description")).as("description of %s", e.getKey()).isNotBlank();
            assertThat(p.get("sourceType")).as("sourceType of %s", e.getKey()).isNotNull();
            Object def = e.getValue();
            if (def == null) {
                assertThat(p).as("%s has no default", e.getKey()).doesNotContainKey("defaultValue");
            } else {
                assertThat(String.valueOf(p.get("defaultValue"))).as("default of %s", e.getKey())
                        .isEqualTo(String.valueOf(def));
                assertThat((String) p.get("type")).as("type of %s", e.getKey())
                        .isEqualTo(def.getClass().getName());
            }
        }
    }

    @Test
    void everyConditionPropertyIsDescribedAndNothingElse() throws Exception {
        Map<String, Map<String, Object>> metadata = metadata();
        Map<String, Object> bound = new LinkedHashMap<>();
        collect(PREFIX, new UringProperties(), bound);
        List<String> conditions = new ArrayList<>();
        List<Class<?>> classes = new ArrayList<>(List.of(UringAutoConfiguration.class));
        Collections.addAll(classes, UringAutoConfiguration.class.getDeclaredClasses());
        for (Class<?> c : classes) {
            conditionProperties(c, conditions);
        }
        assertThat(conditions).as("conditions read reactor-uring.static-resources.enabled (sanity)")
                .contains("reactor-uring.static-resources.enabled");
        for (String name : conditions) {
            Map<String, Object> p = metadata.get(name);
            assertThat(p).as("metadata of %s", name).isNotNull();
            assertThat((String) p.get("description")).as("description of %s", name).isNotBlank();
        }
        TreeSet<String> known = new TreeSet<>(bound.keySet());
        known.addAll(conditions);
        assertThat(new TreeSet<>(metadata.keySet())).as("no metadata for a property nothing reads").isEqualTo(known);
    }

    private static void conditionProperties(AnnotatedElement element, List<String> into) {
        MergedAnnotations.from(element).stream(ConditionalOnProperty.class).map(MergedAnnotation::synthesize)
                .forEach(a -> {
                    String prefix = a.prefix().isEmpty() ? "" : a.prefix() + ".";
                    String[] names = a.name().length > 0 ? a.name() : a.value();
                    for (String n : names) {
                        if ((prefix + n).startsWith(PREFIX + ".")) {
                            into.add(prefix + n);
                        }
                    }
                });
    }

    /**
     * Walks the JavaBean properties of {@code bean} as the binder does: a property whose type is a
     * nested class of UringProperties is a group; every other readable and writable one is a leaf.
     */
    private static void collect(String prefix, Object bean, Map<String, Object> into) {
        BeanWrapper w = PropertyAccessorFactory.forBeanPropertyAccess(bean);
        for (PropertyDescriptor d : BeanUtils.getPropertyDescriptors(bean.getClass())) {
            if (d.getReadMethod() == null || d.getName().equals("class")) {
                continue;
            }
            String name = prefix + "." + kebab(d.getName());
            Object value = w.getPropertyValue(d.getName());
            if (d.getPropertyType().getEnclosingClass() == UringProperties.class) {
                collect(name, Objects.requireNonNull(value), into);
            } else if (d.getWriteMethod() != null) {
                into.put(name, value);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }


    /** The module's own metadata file (its jar or target/classes), property by name. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> metadata() throws Exception {
        List<URL> found = Collections.list(UringProperties.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"));
        String ours = UringProperties.class.getProtectionDomain().getCodeSource().getLocation().toString();
        URL url = found.stream().filter(u -> u.toString().contains(ours)).findFirst()
                .orElseThrow(() -> new AssertionError("no metadata in " + ours + " among " + found));
        String json;
        try (InputStream in = url.openStream()) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Object> root = JsonParserFactory.getJsonParser().parseMap(json);
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Object o : (List<Object>) root.get("properties")) {
            Map<String, Object> p = (Map<String, Object>) o;
            assertThat(byName.put((String) p.get("name"), p)).as("listed once: %s", p.get("name")).isNull();
        }
        return byName;
    }
}
