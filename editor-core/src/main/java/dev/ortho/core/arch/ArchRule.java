package dev.ortho.core.arch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of an architecture spec: tensor names matching {@code pattern} (the whole name) have
 * {@code role} and {@code layout}; the named group {@code layer}, when present, gives the layer.
 */
public record ArchRule(Pattern pattern, Role role, WriterLayout layout) {

    TensorRole match(String tensorName) {
        Matcher m = pattern.matcher(tensorName);
        if (!m.matches()) return null;
        int layer = -1;
        if (pattern.pattern().contains("(?<layer>")) layer = Integer.parseInt(m.group("layer"));
        return new TensorRole(role, layer, layout, pattern.pattern());
    }
}
