package dev.ortho.core.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.core.edit.LayerSelection;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parameters of an edit as its manifest records them, read from the JSON itself with defaults for the
 * fields older manifests lack ({@code norm_preserving}, {@code layer_kernels}, {@code direction_count},
 * per-edit {@code alpha} and {@code basis_layer}, and {@code direction.unit} as one vector per layer rather
 * than a list of k orthonormal vectors): verify re-derives the plan from these, never from {@code edits}.
 *
 * @param arch             architecture spec name
 * @param alpha            the global strength
 * @param layers           decoder layers edited
 * @param components       writer kinds edited
 * @param tiedPolicy       the tied-head policy asked for
 * @param tied             whether the input's head was tied (as recorded)
 * @param untied           whether the output got an explicit head
 * @param allowApproximate post-norm writers were allowed
 * @param approximate      post-norm writers were edited
 * @param normPreserving   the norm-preserving variant
 * @param kernels          layer kernels per component ({@code attn}, {@code mlp}), empty without
 * @param bases            per layer (or one global) the orthonormal directions removed
 * @param perLayer         whether {@code bases} is per layer
 * @param entries          the manifest's {@code edits}, by name (what it CLAIMS, to be compared with the plan)
 * @param outputs          the files the manifest lists, with size and SHA-256
 */
public record RecordedEdit(String arch, double alpha, LayerSelection layers, Set<String> components, TiedPolicy tiedPolicy,
                           boolean tied, boolean untied, boolean allowApproximate, boolean approximate,
                           boolean normPreserving, Map<String, LayerKernel> kernels, List<List<double[]>> bases,
                           boolean perLayer, Map<String, Entry> entries, List<FileDigest> outputs) {

    /** One {@code edits[i]} entry of the manifest. */
    public record Entry(String name, String file, String role, int layer, String dtype, List<Long> shape, String layout,
                        Optional<Double> alpha, Optional<Integer> basisLayer, double frobeniusAfter) {}

    /** Heretic-shaped layer kernel: {@code max} at {@code peak}, linear to {@code min} at {@code distance}, 0 beyond. */
    public record LayerKernel(double max, double peak, double min, double distance) {
        public double weight(int layer) {
            double d = Math.abs(layer - peak);
            if (d > distance) return 0;
            return distance == 0 ? max : max + (min - max) * d / distance;
        }
    }

    /** The basis for a layer's writers (-1: embeddings, which use layer 0's). */
    public List<double[]> basisFor(int layer) {
        return perLayer ? bases.get(Math.max(layer, 0)) : bases.get(0);
    }

    public int basisLayerFor(int layer) {
        return perLayer ? Math.max(layer, 0) : -1;
    }

    /** alpha_t of a tensor of this component and layer (EDIT-MATH: kernels cover attn and mlp only). */
    public double alphaFor(String component, int layer) {
        LayerKernel k = kernels.get(component);
        return k == null || layer < 0 ? alpha : alpha * k.weight(layer);
    }

    public static RecordedEdit read(Path manifestFile) {
        if (!Files.isRegularFile(manifestFile)) {
            throw new InvalidInputException(manifestFile, null, "no " + Manifest.FILE_NAME + " here: not an Ortho output (or it was removed)");
        }
        JsonNode root;
        try {
            root = ManifestJson.mapper().readTree(Files.readAllBytes(manifestFile));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw bad(manifestFile, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OrthoIoException(manifestFile, "cannot read manifest", e);
        }
        if (!Manifest.FORMAT.equals(root.path("format").asText(null))) {
            throw bad(manifestFile, "not an " + Manifest.FORMAT + " manifest");
        }
        JsonNode p = object(root, "parameters", manifestFile);
        JsonNode d = object(root, "direction", manifestFile);
        String arch = text(p, "arch", manifestFile);
        double alpha = number(p, "alpha", manifestFile);
        LayerSelection layers = LayerSelection.parse(p.path("layers").asText("all"));
        Set<String> components = new LinkedHashSet<>();
        for (JsonNode c : array(p, "components", manifestFile)) components.add(c.asText());
        TiedPolicy policy;
        try {
            policy = TiedPolicy.parse(p.path("tied_embeddings").asText("untie"));
        } catch (IllegalArgumentException e) {
            throw bad(manifestFile, "parameters.tied_embeddings: " + e.getMessage());
        }
        Map<String, LayerKernel> kernels = kernels(p.get("layer_kernels"), manifestFile);
        List<List<double[]>> bases = bases(d, manifestFile);
        boolean perLayer = bases.size() > 1 || d.path("per_layer").asBoolean(false);
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (JsonNode e : array(root, "edits", manifestFile)) {
            String name = text(e, "name", manifestFile);
            List<Long> shape = new ArrayList<>();
            for (JsonNode s : e.path("shape")) shape.add(s.asLong());
            Entry entry = new Entry(name, e.path("file").asText(null), e.path("role").asText(null), e.path("layer").asInt(-1),
                    e.path("dtype").asText(null), shape, e.path("layout").asText(null),
                    e.hasNonNull("alpha") ? Optional.of(e.get("alpha").asDouble()) : Optional.empty(),
                    e.hasNonNull("basis_layer") ? Optional.of(e.get("basis_layer").asInt()) : Optional.empty(),
                    e.path("frobenius_after").asDouble(Double.NaN));
            if (entries.put(name, entry) != null) throw bad(manifestFile, "edits lists '" + name + "' twice");
        }
        List<FileDigest> outputs = new ArrayList<>();
        for (JsonNode f : array(root, "outputs", manifestFile)) {
            outputs.add(new FileDigest(text(f, "path", manifestFile), f.path("size").asLong(-1),
                    f.hasNonNull("sha256") ? f.get("sha256").asText() : null));
        }
        return new RecordedEdit(arch, alpha, layers, components, policy, p.path("tied").asBoolean(false),
                p.path("untied").asBoolean(false), p.path("allow_approximate").asBoolean(false),
                p.path("approximate").asBoolean(false), p.path("norm_preserving").asBoolean(false), kernels, bases,
                perLayer, entries, List.copyOf(outputs));
    }

    /** {@code direction.unit}: a list of vectors (one direction per layer or one global), or of lists of k vectors. */
    private static List<List<double[]>> bases(JsonNode d, Path file) {
        JsonNode unit = d.get("unit");
        if (unit == null || !unit.isArray() || unit.isEmpty()) throw bad(file, "direction.unit must be a non-empty list");
        List<List<double[]>> out = new ArrayList<>();
        for (JsonNode layer : unit) {
            if (!layer.isArray() || layer.isEmpty()) throw bad(file, "direction.unit holds an empty or non-list entry");
            List<double[]> basis = new ArrayList<>();
            if (layer.get(0).isNumber()) basis.add(vector(layer, file));
            else for (JsonNode v : layer) basis.add(vector(v, file));
            int n = basis.get(0).length;
            for (double[] v : basis) if (v.length != n) throw bad(file, "direction.unit vectors differ in length");
            out.add(basis);
        }
        return out;
    }

    private static double[] vector(JsonNode v, Path file) {
        if (!v.isArray()) throw bad(file, "direction.unit: expected a list of numbers");
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) throw bad(file, "direction.unit: non-number at index " + i);
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    private static Map<String, LayerKernel> kernels(JsonNode k, Path file) {
        Map<String, LayerKernel> out = new LinkedHashMap<>();
        if (k == null || k.isNull()) return out;
        if (!k.isObject()) throw bad(file, "parameters.layer_kernels must be an object or null");
        for (var it = k.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getValue().isNull()) continue;
            JsonNode c = f.getValue();
            for (String key : List.of("max", "peak", "min", "distance")) {
                if (!c.path(key).isNumber()) {
                    throw bad(file, "parameters.layer_kernels." + f.getKey() + " lacks the number '" + key
                            + "' (expected {max, peak, min, distance}); this verify cannot re-derive alpha_t from it");
                }
            }
            out.put(f.getKey(), new LayerKernel(c.get("max").asDouble(), c.get("peak").asDouble(), c.get("min").asDouble(),
                    c.get("distance").asDouble()));
        }
        return out;
    }

    private static JsonNode object(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isObject()) throw bad(file, "'" + key + "' must be an object");
        return v;
    }

    private static JsonNode array(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isArray()) throw bad(file, "'" + key + "' must be a list");
        return v;
    }

    private static String text(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw bad(file, "'" + key + "' must be a string");
        return v.asText();
    }

    private static double number(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber()) throw bad(file, "'" + key + "' must be a number");
        return v.asDouble();
    }

    private static InvalidInputException bad(Path file, String problem) {
        return new InvalidInputException(file, null, "manifest: " + problem);
    }
}
