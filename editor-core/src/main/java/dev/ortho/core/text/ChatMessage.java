package dev.ortho.core.text;

import java.util.Map;
import java.util.Objects;

/** One turn of a conversation, as HF chat templates see it: {@code {"role": ..., "content": ...}}. */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage user(String content) { return new ChatMessage("user", content); }

    /** The map a template indexes ({@code message['role']}, {@code message.content}). */
    Map<String, Object> asTemplateValue() { return Map.of("role", role, "content", content); }
}
