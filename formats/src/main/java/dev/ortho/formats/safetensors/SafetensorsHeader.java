package dev.ortho.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed and validated safetensors header. Validation is as strict as the reference Rust
 * implementation: every entry well-formed, every byte range exactly the size its shape and dtype
 * need, ranges inside the data section, not overlapping, and together covering it with no gap.
 */
public final class SafetensorsHeader {

    /** Largest header accepted (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** JSON nesting allowed in a header: the format needs 3 levels. */
    static final int MAX_DEPTH = 16;
    static final String METADATA_KEY = "__metadata__";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;
    private final long headerLength;
    private final long dataLength;

    private SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long headerLength, long dataLength) {
        this.tensors = List.copyOf(tensors);
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (TensorInfo t : tensors) m.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(m);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.headerLength = headerLength;
        this.dataLength = dataLength;
    }

    /** Tensors in the header's key order. */
    public List<TensorInfo> tensors() { return tensors; }

    public Optional<TensorInfo> find(String name) { return Optional.ofNullable(byName.get(name)); }

    /** The {@code __metadata__} map, in file order; empty when absent. */
    public Map<String, String> metadata() { return metadata; }

    /** N, the length of the JSON header (including padding). */
    public long headerLength() { return headerLength; }

    /** Offset of the data section in the file: 8 + N. */
    public long dataStart() { return 8 + headerLength; }

    public long dataLength() { return dataLength; }

    /**
     * Parses the JSON of a header.
     *
     * @param file              for messages
     * @param json              the N header bytes
     * @param dataSectionLength file size − 8 − N
     */
    public static SafetensorsHeader parse(Path file, byte[] json, long dataSectionLength) {
        requireUtf8(file, json);
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw fail(file, null, "header is not a JSON object");
            }
            Set<String> names = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(METADATA_KEY)) {
                    readMetadata(file, p, metadata);
                    continue;
                }
                if (name.isEmpty()) throw fail(file, null, "a tensor has an empty name");
                if (!names.add(name)) throw fail(file, name, "tensor name appears twice in the header");
                tensors.add(readEntry(file, name, p));
            }
            if (p.currentToken() != JsonToken.END_OBJECT) throw fail(file, null, "header JSON object is not closed");
            // Only padding may follow the object (HF pads with spaces to a multiple of 8).
            JsonToken trailing = p.nextToken();
            if (trailing != null) throw fail(file, null, "header has data after its JSON object");
        } catch (StreamConstraintsException e) {
            throw fail(file, null, "header JSON nests deeper than " + MAX_DEPTH + " levels");
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            throw fail(file, null, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw fail(file, null, "header is not valid JSON: " + e.getMessage());
        }
        checkRanges(file, tensors, dataSectionLength);
        return new SafetensorsHeader(tensors, metadata, json.length, dataSectionLength);
    }

    private static void requireUtf8(Path file, byte[] json) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json));
        } catch (CharacterCodingException e) {
            throw fail(file, null, "header is not valid UTF-8");
        }
    }

    private static void readMetadata(Path file, JsonParser p, Map<String, String> metadata) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw fail(file, null, "__metadata__ is not an object of strings");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw fail(file, null, "__metadata__ value of '" + key + "' is not a string (" + describe(v) + ")");
            }
            metadata.put(key, p.getText());
        }
    }

    private static TensorInfo readEntry(Path file, String name, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw fail(file, name, "entry is not an object");
        DType dtype = null;
        long[] shape = null, offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            switch (key) {
                case "dtype" -> {
                    if (v != JsonToken.VALUE_STRING) throw fail(file, name, "dtype is not a string");
                    String d = p.getText();
                    dtype = DType.fromHeaderName(d).orElseThrow(() -> fail(file, name,
                            "unknown dtype '" + d + "' (known: " + DType.knownNames() + ")"));
                }
                case "shape" -> shape = readLongs(file, name, "shape", p, -1);
                case "data_offsets" -> offsets = readLongs(file, name, "data_offsets", p, 2);
                default -> throw fail(file, name, "unexpected key '" + key + "' (an entry has dtype, shape, data_offsets)");
            }
        }
        if (dtype == null) throw fail(file, name, "entry has no dtype");
        if (shape == null) throw fail(file, name, "entry has no shape");
        if (offsets == null) throw fail(file, name, "entry has no data_offsets");
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw fail(file, name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        long expected;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            expected = Math.multiplyExact(elements, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw fail(file, name, "shape " + java.util.Arrays.toString(shape) + " overflows: more elements than a file can hold");
        }
        if (end - begin != expected) {
            throw fail(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but shape "
                    + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
        return TensorInfo.of(name, dtype, shape, begin, end);
    }

    private static long[] readLongs(Path file, String name, String key, JsonParser p, int exactCount) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw fail(file, name, key + " is not an array");
        List<Long> values = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) throw fail(file, name, key + " holds " + describe(t) + ", not a non-negative integer");
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw fail(file, name, key + " holds an integer too large");
            long v = p.getLongValue();
            if (v < 0) throw fail(file, name, key + " holds a negative number " + v);
            if (values.size() >= 64) throw fail(file, name, key + " has more than 64 entries");
            values.add(v);
        }
        if (exactCount >= 0 && values.size() != exactCount) {
            throw fail(file, name, key + " must have " + exactCount + " entries, has " + values.size());
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static void checkRanges(Path file, List<TensorInfo> tensors, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.end() > dataLength) {
                throw fail(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end() + "] run past the end of the data section ("
                        + dataLength + " bytes): the file is truncated or the header lies");
            }
            if (t.begin() < covered) {
                throw fail(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end() + "] overlap tensor '"
                        + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (t.begin() > covered) {
                throw fail(file, t.name(), "data section has a gap of " + (t.begin() - covered) + " bytes before this tensor (at offset " + covered + ")");
            }
            covered = t.end();
            if (t.byteLength() > 0) previous = t;
        }
        if (covered != dataLength) {
            throw fail(file, null, "data section has " + (dataLength - covered) + " trailing bytes not covered by any tensor");
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) return "nothing";
        return switch (t) {
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_NUMBER_INT -> "a number";
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> t.toString();
        };
    }

    static SafetensorsFormatException fail(Path file, String tensor, String problem) {
        return new SafetensorsFormatException(file, tensor, problem);
    }
}
