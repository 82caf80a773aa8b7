package dev.ortho.core.arch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A declarative description of one architecture: which tensors write into the residual stream,
 * how they are stored, and which layer they belong to. Built-in specs are JSON resources with the
 * same schema a user can pass with {@code --arch-spec FILE} (see docs/architecture-specs.md).
 *
 * @param name            short name used by {@code --arch}
 * @param description     one line for {@code ortho inspect}
 * @param modelTypes      config.json {@code model_type} values this spec serves
 * @param architectures   config.json {@code architectures} class names this spec serves
 * @param postNormWriters whether a norm sits between the attention/MLP writers and the residual
 *                        stream (Gemma 2/3), so editing them only approximates ablation
 * @param rules           first match wins
 * @param runtime         how the runtime assembles the forward pass; empty for an edit-only spec
 */
public record ArchSpec(String name, String description, List<String> modelTypes, List<String> architectures,
                       boolean postNormWriters, List<ArchRule> rules, Optional<RuntimeSpec> runtime) {

    private static final Set<String> KEYS = Set.of("name", "description", "model_types", "architectures",
            "post_norm_writers", "rules", "runtime");
    private static final Set<String> RULE_KEYS = Set.of("pattern", "role", "layout");

    public ArchSpec {
        modelTypes = List.copyOf(modelTypes);
        architectures = List.copyOf(architectures);
        rules = List.copyOf(rules);
    }

    /** Classifies a tensor name; {@link TensorRole#OTHER} when no rule matches. */
    public TensorRole classify(String tensorName) {
        for (ArchRule rule : rules) {
            TensorRole role = rule.match(tensorName);
            if (role != null) return role;
        }
        return TensorRole.OTHER;
    }

    /** Parses and validates a spec; every error names the file and the offending field. */
    public static ArchSpec fromJson(JsonNode root, Path source) {
        if (root == null || !root.isObject()) throw bad(source, "an architecture spec must be a JSON object");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw bad(source, "unknown key '" + k + "' (allowed: " + KEYS + ")");
        }
        String name = text(root, "name", source);
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) throw bad(source, "'name' must be 1-64 of [A-Za-z0-9_.-], got '" + name + "'");
        String description = root.has("description") ? text(root, "description", source) : "";
        List<String> modelTypes = strings(root, "model_types", source);
        List<String> architectures = strings(root, "architectures", source);
        boolean postNorm = root.has("post_norm_writers") && bool(root.get("post_norm_writers"), "post_norm_writers", source);
        JsonNode rulesNode = root.get("rules");
        if (rulesNode == null || !rulesNode.isArray() || rulesNode.isEmpty()) throw bad(source, "'rules' must be a non-empty array");
        List<ArchRule> rules = new ArrayList<>();
        for (int i = 0; i < rulesNode.size(); i++) rules.add(rule(rulesNode.get(i), i, source));
        Optional<RuntimeSpec> runtime = root.has("runtime")
                ? Optional.of(RuntimeSpec.fromJson(root.get("runtime"), source)) : Optional.empty();
        return new ArchSpec(name, description, modelTypes, architectures, postNorm, rules, runtime);
    }

    private static ArchRule rule(JsonNode n, int index, Path source) {
        String where = "rules[" + index + "]";
        if (!n.isObject()) throw bad(source, where + " must be an object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!RULE_KEYS.contains(k)) throw bad(source, where + ": unknown key '" + k + "' (allowed: " + RULE_KEYS + ")");
        }
        String patternText = text(n, "pattern", source);
        Pattern pattern;
        try {
            pattern = Pattern.compile(patternText);
        } catch (PatternSyntaxException e) {
            throw bad(source, where + ": invalid regular expression: " + e.getDescription());
        }
        Role role;
        try {
            role = Role.valueOf(text(n, "role", source));
        } catch (IllegalArgumentException e) {
            throw bad(source, where + ": unknown role '" + n.get("role").asText() + "' (known: " + List.of(Role.values()) + ")");
        }
        WriterLayout layout = null;
        if (role.writer()) {
            String l = n.has("layout") ? text(n, "layout", source) : null;
            if (l == null) throw bad(source, where + ": a writer rule needs 'layout' " + WriterLayout.jsonNames());
            layout = WriterLayout.fromJson(l).orElseThrow(() ->
                    bad(source, where + ": unknown layout '" + l + "' (known: " + String.join(", ", WriterLayout.jsonNames()) + ")"));
        }
        return new ArchRule(pattern, role, layout);
    }

    private static String text(JsonNode n, String key, Path source) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw bad(source, "'" + key + "' must be a string");
        return v.asText();
    }

    private static boolean bool(JsonNode v, String key, Path source) {
        if (!v.isBoolean()) throw bad(source, "'" + key + "' must be true or false");
        return v.asBoolean();
    }

    private static List<String> strings(JsonNode n, String key, Path source) {
        JsonNode v = n.get(key);
        if (v == null) return List.of();
        if (!v.isArray()) throw bad(source, "'" + key + "' must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) throw bad(source, "'" + key + "' must be an array of strings");
            out.add(e.asText());
        }
        return out;
    }

    private static InvalidInputException bad(Path source, String problem) {
        return new InvalidInputException(source, null, "architecture spec: " + problem);
    }
}
