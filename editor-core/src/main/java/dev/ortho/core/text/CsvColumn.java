package dev.ortho.core.text;

import dev.ortho.formats.InvalidInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One named column of an RFC 4180 CSV file (header row first; fields may be quoted, with "" for a quote and
 * line breaks inside quotes), as the published instruction sets come (AdvBench {@code goal}, HarmBench
 * {@code Behavior}, StrongREJECT {@code forbidden_prompt}).
 */
final class CsvColumn {

    private CsvColumn() {}

    static List<String> read(Path file, String text, String column) {
        List<List<String>> rows = parse(file, text);
        if (rows.isEmpty()) throw new InvalidInputException(file, null, "CSV file has no header row");
        List<String> header = rows.getFirst();
        int col = header.indexOf(column);
        if (col < 0) throw new InvalidInputException(file, null, "CSV header has no column \"" + column + "\" (columns: " + header + ")");
        List<String> out = new ArrayList<>(rows.size() - 1);
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.getFirst().isEmpty()) continue; // blank line
            if (row.size() != header.size())
                throw new InvalidInputException(file, null, "CSV row " + (r + 1) + " has " + row.size() + " fields; the header has " + header.size());
            if (row.get(col).isBlank()) throw new InvalidInputException(file, null, "CSV row " + (r + 1) + " is an empty instruction");
            out.add(row.get(col));
        }
        return out;
    }

    private static List<List<String>> parse(Path file, String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldStarted = false;
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') { field.append('"'); i++; }
                    else quoted = false;
                } else {
                    if (c == '\n') line++;
                    field.append(c);
                }
                continue;
            }
            switch (c) {
                case '"' -> {
                    if (field.length() > 0)
                        throw new InvalidInputException(file, null, "CSV line " + line + ": a quote inside an unquoted field");
                    quoted = true;
                    fieldStarted = true;
                }
                case ',' -> { row.add(field.toString()); field.setLength(0); fieldStarted = false; }
                case '\r' -> { /* CRLF: the \n ends the row */ }
                case '\n' -> {
                    row.add(field.toString());
                    rows.add(row);
                    row = new ArrayList<>();
                    field.setLength(0);
                    fieldStarted = false;
                    line++;
                }
                default -> { field.append(c); fieldStarted = true; }
            }
        }
        if (quoted) throw new InvalidInputException(file, null, "CSV ends inside a quoted field");
        if (fieldStarted || field.length() > 0 || !row.isEmpty()) {
            row.add(field.toString());
            rows.add(row);
        }
        return rows;
    }
}
