import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns every ```java block of README.md into a method of consumer/readme/ReadmeExamples.java,
 * verbatim (run as a single-file program: java scripts/ReadmeExamples.java README.md out.java).
 *
 * <p>A block may use variables it does not declare; the HTML comment right above it names them,
 * e.g. {@code <!-- given: UringLoop loop, Path path -->}. They become the method's parameters,
 * filled from consumer.ReadmeContext. The generated {@code main(N)} runs block N.
 */
public class ReadmeExamples {
    private static final Pattern GIVEN = Pattern.compile("\\s*<!--\\s*given:\\s*(.*?)\\s*-->\\s*");

    record Block(List<String> params, List<String> body, int line) {
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        String given = "";
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher m = GIVEN.matcher(line);
            if (m.matches()) {
                given = m.group(1);
            } else if (line.strip().equals("```java")) {
                int j = i + 1;
                while (!lines.get(j).strip().equals("```")) {
                    j++;
                }
                List<String> params = Arrays.stream(given.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
                blocks.add(new Block(params, lines.subList(i + 1, j), i + 1));
                given = "";
                i = j;
            } else if (!line.isBlank()) {
                given = "";
            }
        }
        StringBuilder src = new StringBuilder("""
                // Generated from README.md by scripts/ReadmeExamples.java: do not edit.
                package consumer.readme;

                import consumer.ReadmeContext;
                import io.reactoruring.core.*;
                import io.reactoruring.core.buffer.*;
                import io.reactoruring.file.*;
                import io.reactoruring.net.*;
                import java.nio.file.*;
                import java.time.Duration;
                import java.util.*;
                import reactor.core.publisher.*;

                @SuppressWarnings("unused")
                public final class ReadmeExamples {
                """);
        StringBuilder cases = new StringBuilder();
        for (int n = 1; n <= blocks.size(); n++) {
            Block b = blocks.get(n - 1);
            src.append("    /** README.md line ").append(b.line()).append(". */\n");
            src.append("    static void example").append(n).append("(").append(String.join(", ", b.params()))
                    .append(") throws Exception {\n");
            for (String l : b.body()) {
                src.append(l.isEmpty() ? "" : "        " + l).append('\n');
            }
            src.append("    }\n\n");
            List<String> names = b.params().stream().map(p -> "c." + p.substring(p.lastIndexOf(' ') + 1)).toList();
            cases.append("            case ").append(n).append(" -> example").append(n).append("(")
                    .append(String.join(", ", names)).append(");\n");
        }
        src.append("    public static final int COUNT = ").append(blocks.size()).append(";\n\n");
        src.append("    public static void main(String[] args) throws Exception {\n");
        src.append("        ReadmeContext c = ReadmeContext.create();\n");
        src.append("        switch (Integer.parseInt(args[0])) {\n").append(cases);
        src.append("            default -> throw new IllegalArgumentException(\"README.md has \" + COUNT + \" java blocks\");\n");
        src.append("        }\n");
        src.append("        System.out.println(\"README example \" + args[0] + \" ran\");\n");
        src.append("    }\n}\n");
        Files.createDirectories(Path.of(args[1]).getParent());
        Files.writeString(Path.of(args[1]), src);
        System.out.println(blocks.size());
    }
}
