package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.ApiDocs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker behind every module's PublicApiDocsTest finds what it must and nothing else. */
class ApiDocsCheckerTest {
    @TempDir
    Path src;

    @Test
    void reportsEachUndocumentedApiDeclarationAndSkipsWhatIsNotApi() throws IOException {
        write("a/Api.java", """
                package a;
                /** Documented. */
                public class Api implements Runnable {
                    public static final int UNDOCUMENTED_FIELD = 1;
                    /** Documented. */
                    public Api() { }
                    public void undocumentedMethod() { }
                    protected void undocumentedProtected() { }
                    void packagePrivate() { }
                    private void hidden() { }
                    @Override
                    public void run() { }
                    public interface UndocumentedNested { void implicitlyPublic(); }
                    private static class Hidden { public void notApi() { } }
                }
                """);
        write("a/NoCtor.java", """
                package a;
                /** Documented, but its implicit constructor is not. */
                public class NoCtor { }
                """);
        write("a/Hidden.java", """
                package a;
                class Hidden { public void notApi() { } }
                """);
        write("a/internal/Internal.java", """
                package a.internal;
                public class Internal { public void excluded() { } }
                """);
        assertThat(ApiDocs.undocumented(src, Set.of("a.internal")))
                .extracting(s -> s.substring(s.indexOf(": ") + 2))
                .containsExactlyInAnyOrder("field UNDOCUMENTED_FIELD", "method undocumentedMethod",
                        "method undocumentedProtected", "type UndocumentedNested", "method implicitlyPublic",
                        "default constructor of NoCtor");
    }

    @Test
    void aFullyDocumentedTreeHasNoGaps() throws IOException {
        write("b/Ok.java", """
                package b;
                /** Documented. */
                public enum Ok {
                    /** Documented. */
                    ONE;
                    /** Documented. @return a value */
                    public int value() { return 1; }
                }
                """);
        assertThat(ApiDocs.undocumented(src, Set.of())).isEmpty();
    }

    private void write(String path, String text) throws IOException {
        Path p = src.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
