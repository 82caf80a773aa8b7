package dev.ortho.core.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.StrictJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Loads the tokenizer of a HF model directory ({@code tokenizer.json}). */
public final class Tokenizers {

    private static final Logger LOG = LoggerFactory.getLogger(Tokenizers.class);
    public static final String FILE = "tokenizer.json";
    /** System property choosing the implementation: {@value #PURE_JAVA} forces the pure-Java byte-level BPE. */
    public static final String PROPERTY = "ortho.tokenizer";
    public static final String PURE_JAVA = "pure-java";

    private Tokenizers() {}

    /**
     * The tokenizer of {@code modelDir}: the HF Rust library through DJL; if that cannot be loaded on this
     * platform, the pure-Java byte-level BPE where the file is one (with a warning). Truncation and padding
     * are off: DJL's builder otherwise truncates silently at 512 tokens (or the config's model_max_length),
     * which would cut prompts without a word.
     *
     * @throws InvalidInputException naming the file if it is missing or malformed
     */
    public static TextTokenizer load(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        JsonNode root = parse(file);
        TokenizerVocab vocab = TokenizerVocab.of(file, root);
        java.util.Optional<JsonNode> asTransformers = TransformersTokenizerClass.override(modelDir, root);
        if (asTransformers.isPresent()) {
            LOG.debug("{}: tokenizing as transformers' class for this model type does (see TransformersTokenizerClass)", file);
            root = asTransformers.get();
        }
        if (PURE_JAVA.equals(System.getProperty(PROPERTY))) return ByteLevelBpe.of(file, root);
        HuggingFaceTokenizer t;
        try {
            Path source = asTransformers.isPresent() ? rewritten(file, root) : file;
            t = HuggingFaceTokenizer.builder(Map.of())
                    .optTokenizerPath(source)
                    .optTruncation(false)
                    .optPadding(false)
                    .optAddSpecialTokens(true)
                    .build();
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read tokenizer.json", e);
        } catch (RuntimeException | LinkageError e) {
            // Either the Rust library rejects the file (an EngineException) or it cannot be loaded on this
            // platform. A byte-level BPE file can still be read by the pure-Java implementation.
            return fallback(file, root, e);
        }
        LOG.debug("loaded {} ({} ids, truncation {}, padding {})", file, vocab.size(), t.getTruncation(), t.getPadding());
        return new HfTokenizer(file, t, vocab);
    }

    /** The adjusted definition in a private temporary file, the only way DJL takes a tokenizer. */
    private static Path rewritten(Path file, JsonNode root) throws IOException {
        Path dir = Files.createTempDirectory("ortho-tokenizer");
        Path copy = dir.resolve(FILE);
        Files.write(copy, StrictJson.mapper().writeValueAsBytes(root));
        copy.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return copy;
    }

    private static TextTokenizer fallback(Path file, JsonNode root, Throwable nativeFailure) {
        InvalidInputException failure = new InvalidInputException(file, null,
                "the tokenizers library cannot load it: " + nativeFailure.getMessage(), nativeFailure);
        try {
            TextTokenizer t = ByteLevelBpe.of(file, root);
            LOG.warn("{}: native tokenizer unavailable ({}); using the pure-Java byte-level BPE tokenizer", file, nativeFailure.getMessage());
            return t;
        } catch (InvalidInputException unsupported) {
            failure.addSuppressed(unsupported);
            throw failure;
        }
    }

    /**
     * The pure-Java byte-level BPE implementation of {@code modelDir}'s tokenizer (GPT-2 / Qwen2 / Llama-3
     * families), for platforms without DJL's native library and as an independent check of it.
     *
     * @throws InvalidInputException naming the file if it is malformed or uses a feature it does not implement
     */
    public static TextTokenizer loadPureJava(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        JsonNode root = parse(file);
        return ByteLevelBpe.of(file, TransformersTokenizerClass.override(modelDir, root).orElse(root));
    }

    /** Parsed by us first: a malformed file then fails with our message, not a native panic text. */
    private static JsonNode parse(Path file) {
        if (!Files.isRegularFile(file)) throw new InvalidInputException(file, null, "no tokenizer.json in the model directory");
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > StrictJson.MAX_BYTES)
                throw new InvalidInputException(file, null, "tokenizer.json is " + size + " bytes, over the 100 MiB limit");
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read tokenizer.json", e);
        }
        return StrictJson.parse(file, "tokenizer.json", bytes);
    }

}
