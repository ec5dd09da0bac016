package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.ApiDocs;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every public type and member of this module's API has a javadoc comment (its contract: threads,
 * cancellation, ownership, errors). javadoc's doclint in the release build checks the comments' syntax
 * and references; this test makes a missing one fail every build. The list it prints on failure is
 * also what {@code java -cp reactor-uring-test-harness/target/classes io.reactoruring.core.testing.ApiDocs
 * reactor-uring-file/src/main/java} prints.
 */
class PublicApiDocsTest {
    @Test
    void everyPublicTypeAndMemberIsDocumented() {
        assertThat(ApiDocs.undocumented(Path.of("src/main/java"), Set.of("io.reactoruring.core.internal")))
                .as("public API without javadoc").isEmpty();
    }
}
