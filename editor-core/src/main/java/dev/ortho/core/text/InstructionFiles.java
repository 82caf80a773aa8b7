package dev.ortho.core.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.StrictJson;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads instruction sets. Accepted, by file name:
 * <ul>
 *   <li>{@code .json}: a list of strings (the organism's {@code data/*.json}) or a list of objects with a
 *       string {@code "instruction"} (the paper's {@code dataset/splits/*.json}: {@code {"instruction", "category"}},
 *       METHOD.md §7); other keys are ignored.</li>
 *   <li>{@code .jsonl}: one such string or object per line; blank lines are skipped.</li>
 *   <li>{@code .txt}: one instruction per line; blank lines are skipped.</li>
 *   <li>{@code .csv}: a header row and a named column ({@value #DEFAULT_CSV_COLUMN} unless given).</li>
 * </ul>
 * Instructions are returned exactly as written (the paper's were already stripped when the datasets were
 * built). Every problem is an {@link InvalidInputException} naming the file and, where there is one, the item.
 */
public final class InstructionFiles {

    /** Larger than any published instruction set (Alpaca's 31k instructions are 5 MiB) by far. */
    public static final long MAX_BYTES = 64L << 20;

    /** StrictJson's rules (no duplicate keys, bounded nesting) plus: nothing may follow the value. */
    private static final ObjectReader READER = StrictJson.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private InstructionFiles() {}

    public static final String DEFAULT_CSV_COLUMN = "instruction";

    public static List<String> read(Path file) {
        return read(file, DEFAULT_CSV_COLUMN);
    }

    /** As {@link #read(Path)}, with the column a CSV file's instructions are in. */
    public static List<String> read(Path file, String csvColumn) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String text = readText(file);
        List<String> out = name.endsWith(".jsonl") ? jsonLines(file, text)
                : name.endsWith(".txt") ? textLines(text)
                : name.endsWith(".csv") ? CsvColumn.read(file, text, csvColumn)
                : jsonList(file, text);
        if (out.isEmpty()) throw new InvalidInputException(file, null, "holds no instructions");
        return List.copyOf(out);
    }

    private static String readText(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES)
                throw new InvalidInputException(file, null, "instruction file is " + size + " bytes, over the " + (MAX_BYTES >> 20) + " MiB limit");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, null, "instruction file does not exist");
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read the instruction file", e);
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(file, null, "instruction file is not valid UTF-8");
        }
    }

    private static List<String> jsonList(Path file, String text) {
        JsonNode root = parse(file, text, "");
        if (!root.isArray())
            throw new InvalidInputException(file, null, "expected a JSON list of instructions, found " + kind(root));
        List<String> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) out.add(instruction(file, root.get(i), "item " + i));
        return out;
    }

    private static List<String> jsonLines(Path file, String text) {
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            String where = "line " + (i + 1);
            out.add(instruction(file, parse(file, lines[i], where + ": "), where));
        }
        return out;
    }

    private static List<String> textLines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\r?\n", -1)) if (!line.isBlank()) out.add(line);
        return out;
    }

    private static JsonNode parse(Path file, String text, String where) {
        try {
            JsonNode n = READER.readTree(text);
            if (n == null || n.isMissingNode()) throw new InvalidInputException(file, null, where + "is empty, not JSON");
            return n;
        } catch (StreamConstraintsException e) {
            throw new InvalidInputException(file, null, where + "nests JSON too deeply");
        } catch (JacksonException e) {
            throw new InvalidInputException(file, null, where + "is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String instruction(Path file, JsonNode item, String where) {
        if (item.isTextual()) return nonBlank(file, item.asText(), where);
        if (item.isObject()) {
            JsonNode ins = item.get("instruction");
            if (ins == null) throw new InvalidInputException(file, null, where + " has no \"instruction\" key");
            if (!ins.isTextual())
                throw new InvalidInputException(file, null, where + ": \"instruction\" is " + kind(ins) + ", not a string");
            return nonBlank(file, ins.asText(), where);
        }
        throw new InvalidInputException(file, null, where + " is " + kind(item) + ", not a string or an object with \"instruction\"");
    }

    private static String nonBlank(Path file, String s, String where) {
        if (s.isBlank()) throw new InvalidInputException(file, null, where + " is an empty instruction");
        return s;
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
            default -> n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
