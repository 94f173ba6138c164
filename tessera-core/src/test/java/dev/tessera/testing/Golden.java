package dev.tessera.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared golden data ({@code ../shared/golden} from the repository root). */
public final class Golden {
    private Golden() {}

    public static Path root() {
        String override = System.getProperty("tessera.golden", System.getenv("TESSERA_GOLDEN"));
        if (override != null) {
            return requireDir(Path.of(override));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            Path sibling = p.resolveSibling("shared").resolve("golden");
            if (p.getParent() != null && Files.isDirectory(sibling)) {
                return sibling;
            }
        }
        throw new IllegalStateException("Golden data not found: expected a folder shared/golden beside the repository "
                + "(../shared/golden from the repository root), searched upward from " + dir
                + ". Set -Dtessera.golden=/path/to/shared/golden or TESSERA_GOLDEN to point at it.");
    }

    public static Path dir(String name) {
        return requireDir(root().resolve(name));
    }

    private static Path requireDir(Path p) {
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("Golden folder missing: " + p);
        }
        return p;
    }
}
