package io.reactoruring.core.testing;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Lists the public API declarations of a source tree that have no javadoc comment: public top-level
 * types, their public and protected members (interface members are implicitly public), enum constants,
 * nested API types, and the implicit constructor of a public class that declares none. Packages given as
 * excluded (e.g. {@code io.reactoruring.core.internal}, exported only to sibling modules) and methods
 * marked {@code @Override} (javadoc inherits their comment) are skipped. Parsing only: no class path
 * needed.
 *
 * <p>javadoc's doclint reports the same gaps, but only together with every missing {@code @param} and
 * {@code @return} (its {@code missing} group); this check makes a missing contract fail the build on its
 * own. {@code java -cp <this jar> io.reactoruring.core.testing.ApiDocs <src/main/java>...} prints them.
 */
public final class ApiDocs {
    private ApiDocs() {
    }

    /**
     * The undocumented API declarations under {@code sourceRoot}, one line each:
     * {@code path:line: kind name}.
     *
     * @param sourceRoot a {@code src/main/java} directory
     * @param excludedPackages packages (exact names) that are not API
     * @return the gaps, sorted; empty when every API declaration has a comment
     */
    public static List<String> undocumented(Path sourceRoot, Set<String> excludedPackages) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(sourceRoot)) {
            files = s.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.getFileName().toString().equals("module-info.java"))
                    .filter(p -> !p.getFileName().toString().equals("package-info.java"))
                    .sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> gaps = new ArrayList<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            JavacTask task = (JavacTask) javac.getTask(null, fm, d -> { }, List.of("-proc:none"), null,
                    fm.getJavaFileObjectsFromPaths(files));
            DocTrees trees = DocTrees.instance(task);
            SourcePositions positions = trees.getSourcePositions();
            for (CompilationUnitTree cu : task.parse()) {
                String pkg = cu.getPackageName() == null ? "" : cu.getPackageName().toString();
                if (excludedPackages.contains(pkg)) {
                    continue;
                }
                new TreePathScanner<Void, Boolean>() {
                    private void gap(Tree t, String kind, String name) {
                        long line = cu.getLineMap().getLineNumber(positions.getStartPosition(cu, t));
                        gaps.add(sourceRoot.toAbsolutePath().relativize(Path.of(cu.getSourceFile().toUri())) + ":" + line + ": " + kind
                                + " " + name);
                    }

                    private boolean undocumented() {
                        return trees.getDocComment(getCurrentPath()) == null;
                    }

                    @Override
                    public Void visitClass(ClassTree t, Boolean enclosingIsApi) {
                        boolean api = isApi(t.getModifiers(), getCurrentPath().getParentPath(), enclosingIsApi);
                        if (!api) {
                            return null; // nothing inside a non-API type is API
                        }
                        if (undocumented()) {
                            gap(t, "type", t.getSimpleName().toString());
                        }
                        if (t.getKind() == Tree.Kind.CLASS
                                && t.getMembers().stream().noneMatch(m -> m instanceof MethodTree
                                        && ((MethodTree) m).getName().contentEquals("<init>"))) {
                            gap(t, "default constructor of", t.getSimpleName().toString());
                        }
                        for (Tree m : t.getMembers()) {
                            scan(m, true);
                        }
                        return null;
                    }

                    @Override
                    public Void visitMethod(MethodTree t, Boolean enclosingIsApi) {
                        if (isApi(t.getModifiers(), getCurrentPath().getParentPath(), enclosingIsApi)
                                && t.getModifiers().getAnnotations().stream()
                                        .noneMatch(a -> a.getAnnotationType().toString().endsWith("Override"))
                                && undocumented()) {
                            gap(t, "method", t.getName().toString());
                        }
                        return null;
                    }

                    @Override
                    public Void visitVariable(VariableTree t, Boolean enclosingIsApi) {
                        if (isApi(t.getModifiers(), getCurrentPath().getParentPath(), enclosingIsApi) && undocumented()) {
                            gap(t, "field", t.getName().toString());
                        }
                        return null;
                    }
                }.scan(new TreePath(cu), Boolean.TRUE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gaps;
    }

    /** Public or protected, or implicitly public as a member of an interface, inside an API type (or top level). */
    private static boolean isApi(ModifiersTree mods, TreePath parent, Boolean enclosingIsApi) {
        if (!Boolean.TRUE.equals(enclosingIsApi)) {
            return false;
        }
        Set<Modifier> flags = mods.getFlags();
        if (flags.contains(Modifier.PUBLIC) || flags.contains(Modifier.PROTECTED)) {
            return true;
        }
        Tree p = parent.getLeaf();
        boolean inInterface = p.getKind() == Tree.Kind.INTERFACE || p.getKind() == Tree.Kind.ANNOTATION_TYPE;
        return inInterface && !flags.contains(Modifier.PRIVATE);
    }

    /**
     * Prints the gaps of each source root given.
     *
     * @param args {@code src/main/java} directories
     */
    public static void main(String[] args) {
        int n = 0;
        for (String root : args) {
            for (String gap : undocumented(Path.of(root), Set.of("io.reactoruring.core.internal"))) {
                System.out.println(root + "/" + gap);
                n++;
            }
        }
        System.out.println(n + " undocumented API declarations");
    }
}
