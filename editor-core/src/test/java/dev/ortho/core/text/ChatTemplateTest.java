package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Rendering as transformers does, and hostile tokenizer_config.json / template files. */
class ChatTemplateTest {

    @TempDir Path dir;

    private static final List<ChatMessage> ONE = List.of(ChatMessage.user("Hi"));

    private Path config(String json) throws IOException {
        return Files.writeString(dir.resolve("tokenizer_config.json"), json);
    }

    private static String jsonString(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /** Llama-3 style: bos_token variable, trim_blocks after tags, lstrip_blocks before indented tags. */
    @Test
    void trimAndLstripBlocksAndSpecialTokensAsHfRendersThem() throws IOException {
        String t = """
                {{ bos_token }}
                {% for message in messages %}
                    {% if message['role'] == 'user' %}
                {{ '<|start_header_id|>user<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}
                    {% endif %}
                {% endfor %}
                {% if add_generation_prompt %}
                {{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
                {%- endif %}""";
        config("{\"bos_token\": {\"content\": \"<|begin_of_text|>\", \"special\": true}, \"eos_token\": \"<|eot_id|>\", \"chat_template\": "
                + jsonString(t) + "}");
        ChatTemplate ct = ChatTemplate.load(dir);
        // jinja2 with trim_blocks/lstrip_blocks gives exactly this (the template's literal "\n" between
        // text lines is kept, tag-only lines vanish).
        assertEquals("<|begin_of_text|>\n<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n\n",
                ct.render(List.of(ChatMessage.user("  Hi ")), true));
        assertEquals("<|begin_of_text|>\n<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>\n",
                ct.render(ONE, false));
        assertEquals("<|eot_id|>", ct.eosToken());
    }

    @Test
    void jinjaFileWinsOverConfig() throws IOException {
        config("{\"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.content }}]{% endfor %}");
        ChatTemplate ct = ChatTemplate.load(dir);
        assertEquals("[Hi]", ct.render(ONE, true));
        assertEquals(dir.resolve("chat_template.jinja"), ct.source());
    }

    /** jinja2 drops one trailing newline of the source and reads CRLF as LF; a .jinja file often ends in one. */
    @Test
    void trailingNewlineAndLineEndingsAsJinja2() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}<{{ m.content }}>\r\n{% endfor %}A:\n\n");
        assertEquals("<Hi>\nA:\n", ChatTemplate.load(dir).render(ONE, true));
        Files.writeString(dir.resolve("chat_template.jinja"), "U:{{ messages[0].content }}\n");
        assertEquals("U:Hi", ChatTemplate.load(dir).render(ONE, true));
    }

    @Test
    void otherSpecialTokensAreVariables() throws IOException {
        config("{\"pad_token\": \"<pad>\", \"unk_token\": {\"content\": \"<unk>\"}, \"chat_template\": \"{{ pad_token }}{{ unk_token }}{{ sep_token }}|\"}");
        assertEquals("<pad><unk>|", ChatTemplate.load(dir).render(ONE, true));
    }

    @Test
    void namedTemplateListUsesDefault() throws IOException {
        config("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D{{ messages[0].content }}\"}]}");
        assertEquals("DHi", ChatTemplate.load(dir).render(ONE, true));
    }

    @Test
    void raiseExceptionIsATypedErrorWithTheTemplatesMessage() throws IOException {
        Path f = config("{\"chat_template\": \"{% if messages[0]['role'] != 'system' %}{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}x\"}");
        ChatTemplate ct = ChatTemplate.load(dir);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ct.render(ONE, true));
        assertEquals(f, e.file().orElseThrow());
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
        // The failure does not leak into the next render on the same thread.
        assertThrows(InvalidInputException.class, () -> ct.render(ONE, true));
        config("{\"chat_template\": \"ok\"}");
        assertEquals("ok", ChatTemplate.load(dir).render(ONE, true));
    }

    @Test
    void strftimeNowFormatsTheDate() throws IOException {
        config("{\"chat_template\": \"{{ strftime_now('%Y-%m-%d') }}\"}");
        String out = ChatTemplate.load(dir).render(ONE, true);
        assertTrue(out.matches("\\d{4}-\\d{2}-\\d{2}"), out);
        assertEquals("05 Mar 2024 5 07:09 %", Strftime.format(LocalDateTime.of(2024, 3, 5, 7, 9), "%d %b %Y %-d %H:%M %%"));
    }

    @Test
    void missingTemplate() throws IOException {
        Path f = config("{\"eos_token\": \"</s>\"}");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
        assertEquals(f, e.file().orElseThrow());
        assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
    }

    @Test
    void missingConfigAndJinja() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
    }

    @Test
    void malformedConfigJson() throws IOException {
        Path f = config("{\"chat_template\": \"x\",");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
        assertEquals(f, e.file().orElseThrow());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void configThatIsNotAnObjectOrHasWrongTypes() throws IOException {
        config("[1, 2]");
        assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
        config("{\"chat_template\": 42}");
        assertTrue(assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir)).getMessage().contains("neither a string"));
        config("{\"chat_template\": \"x\", \"bos_token\": 7}");
        assertTrue(assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir)).getMessage().contains("bos_token"));
        config("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        assertTrue(assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir)).getMessage().contains("default"));
        config("{\"chat_template\": \"x\", \"chat_template\": \"y\"}");
        assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
    }

    @Test
    void syntaxErrorIsTypedAndNamesTheFile() throws IOException {
        Path f = config("{\"chat_template\": \"{% for m in messages %}{{ m.content }}\"}");
        ChatTemplate ct = ChatTemplate.load(dir);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ct.render(ONE, true));
        assertEquals(f, e.file().orElseThrow());
    }

    /** The Python str methods of Qwen3 / DeepSeek style templates behave as in Python. */
    @Test
    void pythonStringMethods() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), """
                {%- set c = messages[0].content -%}
                {{ 'Y' if c.startswith('<think>') else 'N' }}|{{ 'Y' if c.startswith(('x', '<th')) else 'N' }}|\
                {{ 'Y' if c.endswith('!') else 'N' }}|{{ 'Y' if c.endswith('?') else 'N' }}|\
                {{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')|length }}|\
                {{ '  a  b '.split()|length }}|{{ 'a.b.c'.split('.', 1)[1] }}|[{{ '\\n x \\n'.strip() }}]|\
                {{ 'xxhixx'.strip('x') }}|{{ 'ab'.upper() }}|{{ 'a-b'.replace('-', '+') }}|{{ c.find('</think>') }}|\
                {{ 'hello world'.title() }}|{{ c|length }}""");
        String out = ChatTemplate.load(dir).render(List.of(ChatMessage.user("<think>plan</think>\n\nAnswer!")), true);
        assertEquals("Y|Y|Y|N|Answer!|2|2|b.c|[x]|hi|AB|a+b|11|Hello World|28", out);
    }

    @Test
    void unknownMethodFailsLoudly() throws IOException {
        config("{\"chat_template\": \"{% if messages[0].content.no_such_method('H') %}yes{% endif %}\"}");
        ChatTemplate ct = ChatTemplate.load(dir);
        assertThrows(InvalidInputException.class, () -> ct.render(ONE, true));
    }

    @Test
    void invalidUtf8JinjaFile() throws IOException {
        Path f = Files.write(dir.resolve("chat_template.jinja"), new byte[] {'{', '{', (byte) 0xC3, (byte) 0x28, '}', '}'});
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChatTemplate.load(dir));
        assertEquals(f, e.file().orElseThrow());
    }
}
