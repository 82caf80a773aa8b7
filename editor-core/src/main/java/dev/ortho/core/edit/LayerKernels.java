package dev.ortho.core.edit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.StrictJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-component layer kernels ({@code --layer-kernel}); a component without a kernel keeps weight 1
 * (the plain alpha). Recorded in the manifest as {@code layer_kernels}.
 *
 * @param attn kernel of the attention writers (o_proj and its bias), or null
 * @param mlp  kernel of the MLP writers (down_proj, experts, their biases), or null
 */
public record LayerKernels(LayerKernel attn, LayerKernel mlp) {

    /** The weight of a writer of component {@code attn} or {@code mlp} at layer {@code layer}; 1 otherwise. */
    public double weight(String component, int layer) {
        LayerKernel k = switch (component) {
            case "attn" -> attn;
            case "mlp" -> mlp;
            default -> null;
        };
        return k == null ? 1.0 : k.weight(layer);
    }

    /**
     * {@code attn=PEAK:MAX:MIN:DIST,mlp=PEAK:MAX:MIN:DIST} (either part optional), or the path of a JSON
     * file {@code {"attn": {"peak":..,"max":..,"min":..,"distance":..}, "mlp": {...}}}.
     */
    public static LayerKernels parse(String spec) {
        if (spec == null || spec.isBlank()) throw new InvalidInputException("--layer-kernel is empty");
        Path file = Path.of(spec.strip());
        if (!spec.contains("=") && Files.isRegularFile(file)) return fromJson(file);
        LayerKernel attn = null, mlp = null;
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new InvalidInputException("--layer-kernel: '" + part + "' is neither COMPONENT=PEAK:MAX:MIN:DIST nor an existing JSON file");
            }
            String c = part.substring(0, eq).strip();
            LayerKernel k = LayerKernel.parse(part.substring(eq + 1), c);
            switch (c) {
                case "attn" -> { if (attn != null) throw duplicate(c); attn = k; }
                case "mlp" -> { if (mlp != null) throw duplicate(c); mlp = k; }
                default -> throw new InvalidInputException("--layer-kernel: unknown component '" + c + "' (attn or mlp)");
            }
        }
        return new LayerKernels(attn, mlp);
    }

    private static InvalidInputException duplicate(String c) {
        return new InvalidInputException("--layer-kernel: component '" + c + "' given twice");
    }

    private static LayerKernels fromJson(Path file) {
        JsonNode root;
        try {
            root = StrictJson.mapper().readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new InvalidInputException(file, null, "layer kernel spec is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read the layer kernel spec", e);
        }
        if (root == null || !root.isObject()) throw new InvalidInputException(file, null, "a layer kernel spec is a JSON object {\"attn\": {...}, \"mlp\": {...}}");
        LayerKernel attn = null, mlp = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            LayerKernel k = kernel(file, e.getKey(), e.getValue());
            switch (e.getKey()) {
                case "attn" -> attn = k;
                case "mlp" -> mlp = k;
                default -> throw new InvalidInputException(file, null, "unknown component '" + e.getKey() + "' (attn or mlp)");
            }
        }
        return new LayerKernels(attn, mlp);
    }

    private static LayerKernel kernel(Path file, String c, JsonNode n) {
        if (n == null || !n.isObject()) throw new InvalidInputException(file, null, "'" + c + "' must be an object with peak, max, min, distance");
        double[] v = new double[4];
        String[] keys = {"peak", "max", "min", "distance"};
        for (int i = 0; i < 4; i++) {
            JsonNode x = n.get(keys[i]);
            if (x == null || !x.isNumber()) throw new InvalidInputException(file, null, "'" + c + "." + keys[i] + "' must be a number");
            v[i] = x.asDouble();
        }
        return new LayerKernel(v[0], v[1], v[2], v[3]);
    }
}
