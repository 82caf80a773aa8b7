package dev.ortho.formats.safetensors;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors header exactly as HuggingFace's writer does: compact JSON, metadata first,
 * then one entry per tensor in the given order, padded with spaces so the data section starts at a
 * multiple of 8. Byte-exact output is what makes an unchanged round trip identical to its input.
 */
final class HeaderJson {

    private HeaderJson() {}

    /** The 8-byte length prefix, the JSON and its padding. */
    static byte[] encode(Map<String, String> metadata, List<TensorLayout> tensors) {
        StringBuilder sb = new StringBuilder(64 + tensors.size() * 96);
        sb.append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            boolean f = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!f) sb.append(',');
                f = false;
                string(sb, e.getKey());
                sb.append(':');
                string(sb, e.getValue());
            }
            sb.append('}');
            first = false;
        }
        long offset = 0;
        for (TensorLayout t : tensors) {
            if (!first) sb.append(',');
            first = false;
            string(sb, t.name());
            sb.append(":{\"dtype\":\"").append(t.dtype().headerName()).append("\",\"shape\":[");
            for (int i = 0; i < t.shape().size(); i++) {
                if (i > 0) sb.append(',');
                sb.append(t.shape().get(i));
            }
            long end = Math.addExact(offset, t.byteLength());
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[8 + padded];
        long n = padded;
        for (int i = 0; i < 8; i++) out[i] = (byte) (n >>> (8 * i));
        System.arraycopy(json, 0, out, 8, json.length);
        for (int i = 8 + json.length; i < out.length; i++) out[i] = ' ';
        return out;
    }

    /** A JSON string as serde_json writes it: UTF-8 kept, quotes, backslashes and controls escaped. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
