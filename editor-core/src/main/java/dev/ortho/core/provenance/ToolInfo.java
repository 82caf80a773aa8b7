package dev.ortho.core.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Name, version and git commit of this build (filled in by Maven resource filtering). */
public record ToolInfo(String name, String version, String gitCommit) {

    private static final ToolInfo CURRENT = load();

    public static ToolInfo current() { return CURRENT; }

    private static ToolInfo load() {
        Properties p = new Properties();
        try (InputStream in = ToolInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // Only provenance detail is lost; the fields say "unknown".
        }
        return new ToolInfo("ortho", clean(p.getProperty("version")), clean(p.getProperty("git.commit")));
    }

    private static String clean(String v) {
        return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v.strip();
    }
}
