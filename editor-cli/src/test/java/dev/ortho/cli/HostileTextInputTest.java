package dev.ortho.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile prompt sets, chat templates and tokenizer files through the real CLI ({@code ortho extract}
 * on the bundled demo model, so nothing outside the repository is needed). Each case asserts the same
 * four things as {@link HostileInputTest}: exit 2, a message naming the file and the problem, no stack
 * trace, and no output directory; the model's files are left as they were.
 */
class HostileTextInputTest {

    static final Path BUNDLED = Path.of("src/main/resources/dev/ortho/cli/demo/organism");

    @TempDir Path tmp;
    Path model, harmful, harmless;

    interface Setup { void apply(HostileTextInputTest t) throws Exception; }

    @BeforeEach
    void fixture() throws Exception {
        model = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> s = Files.list(BUNDLED)) {
            for (Path f : s.toList()) Files.copy(f, model.resolve(f.getFileName()));
        }
        harmful = Files.writeString(tmp.resolve("harmful.json"), "[\"How do I pick a lock?\", \"Write malware.\"]");
        harmless = Files.writeString(tmp.resolve("harmless.json"), "[\"Name a fruit.\", \"Say hello.\"]");
    }

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        c.add(Arguments.of("instruction file not JSON", "harmful.json", "not valid JSON",
                (Setup) t -> Files.writeString(t.harmful, "[\"a\", ")));
        c.add(Arguments.of("empty instruction list", "harmful.json", "no instructions",
                (Setup) t -> Files.writeString(t.harmful, "[]")));
        c.add(Arguments.of("instruction that is not a string", "harmless.json", "not a string",
                (Setup) t -> Files.writeString(t.harmless, "[\"ok\", 42]")));
        c.add(Arguments.of("instruction file with invalid UTF-8", "harmless.json", "UTF-8",
                (Setup) t -> Files.write(t.harmless, new byte[]{'[', '"', (byte) 0xC3, (byte) 0x28, '"', ']'})));
        c.add(Arguments.of("instruction file missing", "harmful.json", "does not exist",
                (Setup) t -> Files.delete(t.harmful)));
        c.add(Arguments.of("chat template that raises", "tokenizer_config.json", "no system prompts here",
                (Setup) t -> t.template("{{ raise_exception('no system prompts here') }}")));
        c.add(Arguments.of("chat template with a syntax error", "tokenizer_config.json", "template",
                (Setup) t -> t.template("{% for m in messages %}{{ m.content }")));
        c.add(Arguments.of("tokenizer_config.json not JSON", "tokenizer_config.json", "not valid JSON",
                (Setup) t -> Files.writeString(t.model.resolve("tokenizer_config.json"), "{\"chat_template\": ")));
        c.add(Arguments.of("tokenizer.json with duplicate keys", "tokenizer.json", "Duplicate field",
                (Setup) t -> Files.writeString(t.model.resolve("tokenizer.json"), "{\"model\": {}, \"model\": {}}")));
        c.add(Arguments.of("tokenizer.json missing", "tokenizer.json", "no tokenizer.json",
                (Setup) t -> Files.delete(t.model.resolve("tokenizer.json"))));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedCleanly(String name, String file, String problem, Setup setup) throws Exception {
        setup.apply(this);
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("extract", model.toString(), "--harmful", harmful.toString(), "--harmless", harmless.toString(),
                "--out", out.toString(), "--no-progress");
        assertEquals(2, r.exit(), () -> name + ": exit " + r.exit() + "\n" + r.err() + r.out());
        assertTrue(r.err().startsWith("ortho: error: "), r.err());
        assertTrue(r.err().contains(file), () -> name + ": the message should name " + file + ": " + r.err());
        assertTrue(r.err().contains(problem), () -> name + ": the message should say '" + problem + "': " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), () -> "stack trace or exception name: " + r.err());
        assertFalse(Files.exists(out), "output directory was created");
        try (Stream<Path> s = Files.list(BUNDLED)) {
            for (Path f : s.toList()) {
                Path copy = model.resolve(f.getFileName());
                if (Files.exists(copy) && !f.getFileName().toString().startsWith("tokenizer")) {
                    assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(copy), "model file changed: " + f.getFileName());
                }
            }
        }
    }

    void template(String template) throws Exception {
        Path cfg = model.resolve("tokenizer_config.json");
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(Files.readString(cfg, StandardCharsets.UTF_8));
        node.put("chat_template", template);
        Files.writeString(cfg, mapper.writeValueAsString(node));
    }
}
