package dev.ortho.formats.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the small JSON files of a checkpoint (index, config) strictly: bounded size, valid UTF-8,
 * no duplicate keys, bounded nesting, no NaN literals. Errors name the file.
 */
public final class StrictJson {

    public static final long MAX_BYTES = 100L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build());

    private StrictJson() {}

    public static JsonNode read(Path file, String what) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) throw new InvalidInputException(file, null, what + " is " + size + " bytes, over the 100 MiB limit");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, null, what + " does not exist");
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read " + what, e);
        }
        return parse(file, what, bytes);
    }

    public static JsonNode parse(Path file, String what, byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(file, null, what + " is not valid UTF-8");
        }
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (n == null || !n.isObject()) throw new InvalidInputException(file, null, what + " is not a JSON object");
            return n;
        } catch (StreamConstraintsException e) {
            throw new InvalidInputException(file, null, what + " nests JSON too deeply");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidInputException(file, null, what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException(file, null, what + " is not valid JSON: " + e.getMessage());
        }
    }

    public static ObjectMapper mapper() { return MAPPER; }
}
