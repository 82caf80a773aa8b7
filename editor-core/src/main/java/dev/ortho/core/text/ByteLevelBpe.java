package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pure-Java byte-level BPE tokenizer (GPT-2, Qwen2, Llama-3 style) read from {@code tokenizer.json}: added
 * tokens are split out first, the rest is cut into pre-tokens by a regular expression, each pre-token's UTF-8
 * bytes are spelled with GPT-2's byte-to-unicode alphabet and merged by merge rank. It serves as an independent
 * check of the native tokenizer and as a fallback where DJL has no native library; it accepts only the
 * configurations it implements exactly and refuses the rest with an error naming the file.
 */
final class ByteLevelBpe implements TextTokenizer {

    /** GPT-2's pre-tokenizer expression, used by a ByteLevel pre-tokenizer with use_regex true. */
    private static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final Path file;
    private final Pattern preTokenizer;
    private final boolean nfc;
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final Map<String, Integer> mergeRanks;
    private final List<AddedToken> added;
    private final boolean[] special;
    private final int size;
    private final char[] byteToChar = new char[256];
    private final Map<Character, Integer> charToByte = new HashMap<>();
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private record AddedToken(String content, int id, boolean special) {}

    private ByteLevelBpe(Path file, Pattern preTokenizer, boolean nfc, Map<String, Integer> vocab, Map<String, Integer> mergeRanks,
                         List<AddedToken> added, int size) {
        this.file = file;
        this.preTokenizer = preTokenizer;
        this.nfc = nfc;
        this.vocab = vocab;
        this.mergeRanks = mergeRanks;
        this.added = added;
        this.size = size;
        this.idToToken = new String[size];
        this.special = new boolean[size];
        vocab.forEach((t, id) -> idToToken[id] = t);
        for (AddedToken a : added) { idToToken[a.id] = a.content; special[a.id] = a.special; }
        buildByteAlphabet();
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 upwards in byte order. */
    private void buildByteAlphabet() {
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + next++);
            byteToChar[b] = c;
            charToByte.put(c, b);
        }
    }

    static ByteLevelBpe of(Path file, JsonNode root) {
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText()))
            throw unsupported(file, "model type " + model.path("type"));
        for (String k : List.of("dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix"))
            if (!model.path(k).isNull() && !model.path(k).isMissingNode()) throw unsupported(file, "model." + k + " " + model.get(k));
        if (model.path("byte_fallback").asBoolean(false) || model.path("ignore_merges").asBoolean(false))
            throw unsupported(file, "byte_fallback / ignore_merges");
        JsonNode normalizer = root.path("normalizer");
        boolean nfc = "NFC".equals(normalizer.path("type").asText());
        if (!nfc && !normalizer.isNull() && !normalizer.isMissingNode()) throw unsupported(file, "normalizer " + normalizer);
        Pattern pre = preTokenizer(file, root.path("pre_tokenizer"));
        JsonNode post = root.path("post_processor");
        if (!post.isNull() && !post.isMissingNode() && !"ByteLevel".equals(post.path("type").asText()))
            throw unsupported(file, "post_processor " + post.path("type"));
        if (!"ByteLevel".equals(root.path("decoder").path("type").asText())) throw unsupported(file, "decoder " + root.path("decoder").path("type"));

        TokenizerVocab tv = TokenizerVocab.of(file, root);
        Map<String, Integer> vocab = new HashMap<>();
        model.get("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        Map<String, Integer> ranks = new HashMap<>();
        JsonNode merges = model.path("merges");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            String pair;
            if (m.isTextual()) {
                // Older files write "a b"; a space never occurs inside byte-level symbols (it is spelled Ġ).
                pair = m.asText();
                if (pair.indexOf(' ') < 0) throw new InvalidInputException(file, null, "merge " + i + " is not a pair: " + pair);
            } else if (m.isArray() && m.size() == 2) {
                pair = m.get(0).asText() + ' ' + m.get(1).asText();
            } else {
                throw new InvalidInputException(file, null, "merge " + i + " is neither \"a b\" nor [a, b]");
            }
            ranks.putIfAbsent(pair, i);
        }
        List<AddedToken> added = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            for (String flag : List.of("lstrip", "rstrip", "single_word"))
                if (t.path(flag).asBoolean(false)) throw unsupported(file, "added token " + t.path("content") + " with " + flag);
            added.add(new AddedToken(t.get("content").asText(), t.get("id").asInt(), t.path("special").asBoolean(false)));
        }
        // Longest first, so that a token that contains another wins where both match at one place.
        added.sort(Comparator.comparingInt((AddedToken a) -> -a.content.length()));
        return new ByteLevelBpe(file, pre, nfc, vocab, ranks, List.copyOf(added), tv.size());
    }

    /** ByteLevel alone (GPT-2 regex), or Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)] (Qwen2, Llama-3). */
    private static Pattern preTokenizer(Path file, JsonNode pt) {
        String type = pt.path("type").asText();
        if (type.equals("ByteLevel")) {
            if (pt.path("add_prefix_space").asBoolean(false)) throw unsupported(file, "add_prefix_space");
            if (!pt.path("use_regex").asBoolean(true)) throw unsupported(file, "ByteLevel without regex");
            return Pattern.compile(GPT2_REGEX, Pattern.UNICODE_CHARACTER_CLASS);
        }
        if (type.equals("Sequence") && pt.path("pretokenizers").size() == 2) {
            JsonNode split = pt.get("pretokenizers").get(0);
            JsonNode bl = pt.get("pretokenizers").get(1);
            if ("Split".equals(split.path("type").asText()) && "Isolated".equals(split.path("behavior").asText())
                    && !split.path("invert").asBoolean(false) && split.path("pattern").path("Regex").isTextual()
                    && "ByteLevel".equals(bl.path("type").asText()) && !bl.path("use_regex").asBoolean(true)
                    && !bl.path("add_prefix_space").asBoolean(false)) {
                return Pattern.compile(split.get("pattern").get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
            }
        }
        throw unsupported(file, "pre_tokenizer " + pt);
    }

    // UNICODE_CHARACTER_CLASS: the Rust regex engines' \s is Unicode white space, Java's only ASCII without it.

    private static InvalidInputException unsupported(Path file, String what) {
        return new InvalidInputException(file, null, "the pure-Java byte-level BPE tokenizer does not implement " + what);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int bestAt = text.length();
            AddedToken best = null;
            for (AddedToken a : added) {
                int at = text.indexOf(a.content, start);
                if (at >= 0 && at < bestAt) { bestAt = at; best = a; }
            }
            encodeOrdinary(text.substring(start, bestAt), out);
            if (best == null) break;
            out.add(best.id);
            start = bestAt + best.content.length();
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> out) {
        if (text.isEmpty()) return;
        if (nfc) text = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
        Matcher m = preTokenizer.matcher(text);
        int last = 0;
        while (m.find()) {
            // Isolated split: text between matches is a pre-token too (the GPT-2 regex leaves none).
            if (m.start() > last) word(text.substring(last, m.start()), out);
            if (m.end() > m.start()) word(m.group(), out);
            last = m.end();
        }
        if (last < text.length()) word(text.substring(last), out);
    }

    private void word(String w, List<Integer> out) {
        for (int id : cache.computeIfAbsent(w, this::bpe)) out.add(id);
    }

    /** Merges the lowest-ranked adjacent pair, leftmost first, until no pair has a rank. */
    private int[] bpe(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) symbols.add(String.valueOf(byteToChar[b & 0xFF]));
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(symbols.get(i) + ' ' + symbols.get(i + 1));
                if (r != null && r < bestRank) { bestRank = r; bestAt = i; }
            }
            if (bestAt < 0) break;
            symbols.set(bestAt, symbols.get(bestAt) + symbols.get(bestAt + 1));
            symbols.remove(bestAt + 1);
        }
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(symbols.get(i));
            if (id == null) throw new InvalidInputException(file, null, "symbol '" + symbols.get(i) + "' is not in the vocabulary and there is no unk token");
            ids[i] = id;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= size || idToToken[id] == null)
                throw new InvalidInputException(file, null, "token id " + id + " is outside the vocabulary (size " + size + ")");
            if (skipSpecialTokens && special[id]) continue;
            for (char c : idToToken[id].toCharArray()) {
                Integer b = charToByte.get(c);
                if (b != null) bytes.write(b);
                else bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        // Lossy, as the Rust decoder is: a cut multi-byte character becomes U+FFFD.
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public OptionalInt tokenId(String token) {
        for (AddedToken a : added) if (a.content.equals(token)) return OptionalInt.of(a.id);
        Integer id = vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public int vocabularySize() { return size; }

    @Override
    public String toString() { return "ByteLevelBpe[" + file + "]"; }
}
