package dev.ortho.core.search;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * trials.jsonl: one {@link Trial} per line, appended and forced to disk as each finishes, so that a killed search
 * loses at most the trial it was running and {@code --resume} can continue. A torn last line (the process died
 * while writing it) is dropped on reading; any other unreadable line is an error naming the line.
 */
public final class TrialLog implements AutoCloseable {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;
    private final FileChannel channel;

    private TrialLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens for appending; {@code fresh} truncates an existing log. */
    public static TrialLog open(Path file, boolean fresh) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            FileChannel ch = fresh
                    ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
                    : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            return new TrialLog(file, ch);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot open the trial log", e);
        }
    }

    public void append(Trial t) {
        try {
            byte[] line = (MAPPER.writeValueAsString(t) + "\n").getBytes(StandardCharsets.UTF_8);
            var buf = java.nio.ByteBuffer.wrap(line);
            while (buf.hasRemaining()) channel.write(buf);
            channel.force(false);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot append to the trial log", e);
        }
    }

    /** Every complete trial of a log, in order. */
    public static List<Trial> read(Path file) {
        List<Trial> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read the trial log", e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank()) continue;
            try {
                Trial t = MAPPER.readValue(l, Trial.class);
                if (t.number() != out.size()) {
                    throw new InvalidInputException(file, null, "line " + (i + 1) + " is trial " + t.number() + ", expected " + out.size());
                }
                out.add(t);
            } catch (IOException e) {
                if (i == lines.size() - 1) break;     // torn last line of a killed run
                throw new InvalidInputException(file, null, "line " + (i + 1) + " is not a trial: " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot close the trial log", e);
        }
    }
}
