package dev.ortho.core.provenance;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes manifests as pretty, snake_case JSON. */
public final class ManifestJson {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ManifestJson() {}

    public static byte[] toBytes(Manifest m) {
        try {
            byte[] body = JSON.writeValueAsBytes(m);
            byte[] out = new byte[body.length + 1];
            System.arraycopy(body, 0, out, 0, body.length);
            out[body.length] = '\n';
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize manifest", e);
        }
    }

    public static Manifest read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(file, null, "no " + Manifest.FILE_NAME + " here: not an Ortho output (or it was removed)");
        }
        try {
            Manifest m = JSON.readValue(Files.readAllBytes(file), Manifest.class);
            if (m == null || !Manifest.FORMAT.equals(m.format())) {
                throw new InvalidInputException(file, null, "not an " + Manifest.FORMAT + " manifest");
            }
            return m;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidInputException(file, null, "manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read manifest", e);
        }
    }

    public static ObjectMapper mapper() { return JSON; }
}
