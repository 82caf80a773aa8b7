package dev.ortho.formats;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(obj, indent=2) + "\n"} writes it, which is how
 * transformers writes config.json and model.safetensors.index.json: two-space indent, ", " and
 * ": " separators, non-ASCII escaped, floats in Python's repr. Keys keep the node's order (HF files
 * are already sorted), so regenerated files match the originals byte for byte.
 */
public final class PythonJson {

    private PythonJson() {}

    public static String dumps(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        write(sb, n, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, JsonNode n, int indent) {
        if (n.isObject()) {
            if (n.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(" ".repeat(indent + 2));
                string(sb, e.getKey());
                sb.append(": ");
                write(sb, e.getValue(), indent + 2);
                if (it.hasNext()) sb.append(',');
                sb.append('\n');
            }
            sb.append(" ".repeat(indent)).append('}');
        } else if (n.isArray()) {
            if (n.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < n.size(); i++) {
                sb.append(" ".repeat(indent + 2));
                write(sb, n.get(i), indent + 2);
                if (i < n.size() - 1) sb.append(',');
                sb.append('\n');
            }
            sb.append(" ".repeat(indent)).append(']');
        } else if (n.isTextual()) {
            string(sb, n.asText());
        } else if (n.isFloatingPointNumber()) {
            sb.append(floatRepr(n.asDouble()));
        } else {
            sb.append(n.toString());
        }
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, scientific below 1e-4 or from 1e16. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - b.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = b.abs().toPlainString();
            if (!plain.contains(".")) plain += ".0";
            return sign + plain;
        }
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = Integer.toString(Math.abs(exp));
        if (e.length() < 2) e = "0" + e;
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + e;
    }

    private static void string(StringBuilder sb, String s) {
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
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
