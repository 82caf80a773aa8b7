package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat templates as published in the Llama-3-Instruct and Gemma-it tokenizer_config.json files render to the
 * prompts METHOD.md §6 lists for them. Both rely on jinja2's filter precedence ({@code a + b | trim + c} trims
 * b only), which an instruction with surrounding spaces makes visible.
 */
class PublishedTemplatesTest {

    private static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    private static final String GEMMA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
            + "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
            + "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

    private static final Path SOURCE = Path.of("tokenizer_config.json");

    @Test
    void llama3() {
        ChatTemplate t = new ChatTemplate(SOURCE, LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWrite a haiku<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(List.of(ChatMessage.user("  Write a haiku \n")), true));
    }

    @Test
    void gemma() {
        ChatTemplate t = new ChatTemplate(SOURCE, GEMMA, "<bos>", "<eos>");
        assertEquals("<bos><start_of_turn>user\nWrite a haiku<end_of_turn>\n<start_of_turn>model\n",
                t.render(List.of(ChatMessage.user(" Write a haiku ")), true));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> t.render(List.of(new ChatMessage("system", "Be nice"), ChatMessage.user("Hi")), true));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertTrue(assertThrows(InvalidInputException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true)).getMessage().contains("alternate"));
    }
}
