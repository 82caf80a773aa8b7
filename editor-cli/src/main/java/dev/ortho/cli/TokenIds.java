package dev.ortho.cli;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Token id lists from the command line: "1,2,3", or a file with one sequence per line. */
final class TokenIds {

    private TokenIds() {}

    static int[] parse(String text, Path file, int line) {
        String[] parts = text.trim().split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(file, null, (line > 0 ? "line " + line + ": " : "")
                        + "'" + parts[i] + "' is not a token id (expected integers separated by commas or spaces)");
            }
        }
        return ids;
    }

    /** One sequence per non-empty line; lines starting with '#' are comments. */
    static List<int[]> readFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read token ids", e);
        }
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            out.add(parse(l, file, i + 1));
        }
        if (out.isEmpty()) throw new InvalidInputException(file, null, "no token id sequences in the file");
        return out;
    }
}
