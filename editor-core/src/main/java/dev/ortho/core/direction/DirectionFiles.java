package dev.ortho.core.direction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.StrictJson;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a direction from {@code FILE[:TENSOR]}: .safetensors, .npy, .pt (torch.save zip, read
 * without executing pickle code) or .json (a list of numbers, or a list of lists).
 */
public final class DirectionFiles {

    private static final long MAX_SMALL_FILE = 1L << 30;

    private DirectionFiles() {}

    /**
     * Splits {@code FILE[:TENSOR]} into the file and the tensor name (null when absent). A path
     * that exists as given is taken whole, so file names containing ':' still work.
     */
    public static String[] splitSpec(String spec) {
        if (Files.exists(Path.of(spec))) return new String[]{spec, null};
        int colon = spec.lastIndexOf(':');
        if (colon > 0 && colon < spec.length() - 1) {
            return new String[]{spec.substring(0, colon), spec.substring(colon + 1)};
        }
        return new String[]{spec, null};
    }

    public static RawTensor read(String spec) {
        String[] parts = splitSpec(spec);
        Path file = Path.of(parts[0]);
        String tensor = parts[1];
        if (!Files.isRegularFile(file)) throw new InvalidInputException(file, tensor, "direction file does not exist");
        String ext = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (ext.endsWith(".safetensors")) return safetensors(file, tensor);
        if (ext.endsWith(".pt") || ext.endsWith(".pth")) return PtReader.read(file, tensor);
        if (ext.endsWith(".npy")) {
            noTensorName(file, tensor, ".npy");
            return NpyReader.read(file, readSmall(file));
        }
        if (ext.endsWith(".json")) {
            noTensorName(file, tensor, ".json");
            return json(file);
        }
        throw new InvalidInputException(file, tensor, "unknown direction format (expected .safetensors, .npy, .pt or .json)");
    }

    private static RawTensor safetensors(Path file, String tensor) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t;
            if (tensor != null) {
                t = f.find(tensor).orElseThrow(() -> new InvalidInputException(file, tensor,
                        "no such tensor; the file has " + names(f)));
            } else if (f.tensors().size() == 1) {
                t = f.tensors().getFirst();
            } else {
                t = f.find("direction").orElseThrow(() -> new InvalidInputException(file, null,
                        "several tensors and none named 'direction'; choose one with FILE:TENSOR from " + names(f)));
            }
            if (!t.dtype().editable()) {
                throw new InvalidInputException(file, t.name(), "direction must be F16, BF16, F32 or F64, not " + t.dtype());
            }
            if (t.elementCount() > Integer.MAX_VALUE - 8) throw new InvalidInputException(file, t.name(), "too large for a direction");
            MemorySegment data = f.data(t);
            double[] values = ValueDecoding.decode(data.asByteBuffer(), 0, t.dtype(), (int) t.elementCount());
            return new RawTensor(file, t.name(), t.dtype(), t.shapeArray(), values);
        }
    }

    private static String names(SafetensorsFile f) {
        List<String> n = f.tensors().stream().map(TensorInfo::name).limit(20).toList();
        return n + (f.tensors().size() > 20 ? " …" : "");
    }

    private static RawTensor json(Path file) {
        JsonNode root;
        byte[] bytes = readSmall(file);
        root = parseJsonArray(file, bytes);
        List<Double> values = new ArrayList<>();
        long[] shape;
        if (root.size() > 0 && root.get(0).isArray()) {
            int cols = root.get(0).size();
            for (int i = 0; i < root.size(); i++) {
                JsonNode row = root.get(i);
                if (!row.isArray() || row.size() != cols) {
                    throw new InvalidInputException(file, null, "row " + i + " is not a list of " + cols + " numbers");
                }
                for (int j = 0; j < cols; j++) values.add(number(file, row.get(j), i + "," + j));
            }
            shape = new long[]{root.size(), cols};
        } else {
            for (int i = 0; i < root.size(); i++) values.add(number(file, root.get(i), Integer.toString(i)));
            shape = new long[]{root.size()};
        }
        return new RawTensor(file, null, DType.F64, shape, values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static JsonNode parseJsonArray(Path file, byte[] bytes) {
        try {
            JsonNode n = StrictJson.mapper().readTree(bytes);
            if (n == null || !n.isArray()) throw new InvalidInputException(file, null, "a JSON direction must be a list of numbers");
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidInputException(file, null, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read", e);
        }
    }

    private static double number(Path file, JsonNode n, String where) {
        if (n == null || !n.isNumber()) throw new InvalidInputException(file, null, "element [" + where + "] is not a number");
        return n.asDouble();
    }

    private static void noTensorName(Path file, String tensor, String kind) {
        if (tensor != null) throw new InvalidInputException(file, tensor, kind + " files hold one array; drop ':" + tensor + "'");
    }

    private static byte[] readSmall(Path file) {
        try {
            if (Files.size(file) > MAX_SMALL_FILE) throw new InvalidInputException(file, null, "file is larger than 1 GiB");
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read", e);
        }
    }
}
