package dev.ortho.core.edit.quant;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ortho.core.arch.WriterHeuristics;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Recognises quantized and adapter checkpoints from config.json's {@code quantization_config}, the
 * tensors' names and dtypes, and adapter files, before anything is planned or written. A checkpoint
 * that is quantized in any way Ortho cannot edit exactly must be refused, never half-edited: its
 * quantized writers ({@code o_proj.qweight}, ...) match no float rule and would be copied unedited.
 */
public final class QuantizationDetector {

    /** Adapter files of PEFT: a directory holding them is an adapter, not a model. */
    public static final List<String> ADAPTER_FILES = List.of("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin");

    private QuantizationDetector() {}

    /** Files that make a directory a PEFT adapter (empty when there are none). */
    public static List<String> adapterFiles(Path directory) {
        if (directory == null || !Files.isDirectory(directory)) return List.of();
        return ADAPTER_FILES.stream().filter(f -> Files.isRegularFile(directory.resolve(f))).toList();
    }

    /**
     * Refuses a PEFT adapter directory before it is opened as a checkpoint (an adapter has no
     * model.safetensors and often no config.json, so the ordinary errors would not say what it is).
     */
    public static void refuseAdapterDirectory(Path directory) {
        List<String> files = adapterFiles(directory);
        if (files.isEmpty()) return;
        List<QuantFinding> findings = new ArrayList<>();
        findings.add(new QuantFinding(QuantFormat.LORA, "adapter files " + String.join(", ", files)
                + " (a PEFT adapter directory, not a full model)", List.of(), 0));
        Path weights = directory.resolve("adapter_model.safetensors");
        if (Files.isRegularFile(weights)) {
            // Named so the user sees which modules the adapter changes; an unreadable file only loses that detail.
            try (SafetensorsFile f = SafetensorsFile.open(weights)) {
                tensorEvidence(findings, f.tensors(), QuantFormat.LORA, "adapter_model.safetensors holds", t -> true);
            } catch (RuntimeException e) {
                findings.add(new QuantFinding(QuantFormat.LORA, "adapter_model.safetensors (unreadable: " + e.getMessage() + ")", List.of(), 0));
            }
        }
        new QuantScan(findings, Optional.empty(), Set.of()).requireEditable(directory);
    }

    /**
     * @param checkpoint the directory (for messages and adapter files)
     * @param config     config.json's root (may be null)
     * @param tensors    every tensor of the checkpoint
     */
    public static QuantScan scan(Path checkpoint, JsonNode config, List<TensorInfo> tensors) {
        List<QuantFinding> findings = new ArrayList<>();
        Optional<Fp8BlockScheme> scheme = Optional.empty();
        JsonNode qc = config == null ? null : config.get("quantization_config");
        if (qc != null && !qc.isNull()) {
            String method = text(qc, "quant_method").map(s -> s.toLowerCase(Locale.ROOT)).orElse("");
            boolean bnb = method.equals("bitsandbytes") || bool(qc, "load_in_4bit") || bool(qc, "load_in_8bit");
            String evidence = "config.json quantization_config.quant_method = \"" + method + "\"";
            if (method.equals("fp8")) {
                Optional<Fp8BlockScheme> s = blockScheme(qc, checkpoint);
                if (s.isPresent()) {
                    scheme = s;
                    findings.add(new QuantFinding(QuantFormat.FP8_BLOCK, evidence + ", weight_block_size "
                            + s.get().blockRows() + "x" + s.get().blockCols() + ", fmt " + s.get().format().configName(), List.of(), 0));
                } else {
                    findings.add(new QuantFinding(QuantFormat.FP8_SCALED, evidence + " without weight_block_size", List.of(), 0));
                }
            } else if (bnb) {
                findings.add(new QuantFinding(QuantFormat.BITSANDBYTES, method.isEmpty()
                        ? "config.json quantization_config.load_in_4bit/load_in_8bit" : evidence, List.of(), 0));
            } else {
                QuantFormat f = switch (method) {
                    case "gptq" -> QuantFormat.GPTQ;
                    case "awq" -> QuantFormat.AWQ;
                    case "compressed-tensors", "compressed_tensors" -> QuantFormat.COMPRESSED_TENSORS;
                    case "fbgemm_fp8", "modelopt" -> QuantFormat.FP8_SCALED;
                    case "mxfp4" -> QuantFormat.MX;
                    default -> QuantFormat.OTHER;
                };
                findings.add(new QuantFinding(f, method.isEmpty() ? "config.json has a quantization_config" : evidence, List.of(), 0));
            }
        }
        if (config != null && config.has("compression_config")) {
            findings.add(new QuantFinding(QuantFormat.COMPRESSED_TENSORS, "config.json compression_config", List.of(), 0));
        }

        boolean gptqByConfig = findings.stream().anyMatch(f -> f.format() == QuantFormat.GPTQ);
        boolean hasGidx = tensors.stream().anyMatch(t -> t.name().endsWith(".g_idx"));
        QuantFormat packedInt = hasGidx || gptqByConfig ? QuantFormat.GPTQ : QuantFormat.AWQ;
        tensorEvidence(findings, tensors, packedInt, "packed-integer weights (qweight/qzeros/scales/g_idx)",
                t -> endsWithAny(t.name(), ".qweight", ".qzeros", ".scales", ".g_idx"));
        tensorEvidence(findings, tensors, QuantFormat.BITSANDBYTES, "bitsandbytes quantization state (absmax/quant_map/quant_state/SCB)",
                t -> endsWithAny(t.name(), ".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map", ".SCB", ".weight_format")
                        || t.name().contains(".quant_state."));
        tensorEvidence(findings, tensors, QuantFormat.LORA, "unmerged LoRA tensors (lora_A/lora_B)",
                t -> t.name().matches(".*\\.lora_(?:A|B|embedding_A|embedding_B|magnitude_vector)(?:\\..*)?"));
        tensorEvidence(findings, tensors, QuantFormat.MX, "E8M0 block scales or packed 4-bit blocks",
                t -> t.dtype() == DType.F8_E8M0 || (t.dtype() == DType.U8 && t.name().endsWith("_blocks")));
        tensorEvidence(findings, tensors, QuantFormat.FP8_SCALED, "per-tensor/per-channel FP8 scales (weight_scale/input_scale)",
                t -> endsWithAny(t.name(), ".weight_scale", ".input_scale"));
        for (String f : adapterFiles(checkpoint)) {
            findings.add(new QuantFinding(QuantFormat.LORA, "adapter file " + f + " in the checkpoint directory", List.of(), 0));
        }

        List<TensorInfo> fp8 = tensors.stream().filter(t -> t.dtype() == DType.F8_E4M3 || t.dtype() == DType.F8_E5M2).toList();
        Set<String> fp8Weights = new LinkedHashSet<>();
        if (!fp8.isEmpty()) {
            if (scheme.isEmpty()) {
                if (findings.isEmpty()) {
                    tensorEvidence(findings, fp8, QuantFormat.FP8_SCALED, "FP8 tensors without a quantization_config that"
                            + " gives their weight_block_size", t -> true);
                }
            } else {
                fp8Weights.addAll(checkBlockFp8(checkpoint, scheme.get(), tensors, fp8));
            }
        }
        return new QuantScan(deduplicate(findings), scheme, fp8Weights);
    }

    /** Every FP8 tensor must be a 2-D weight with a scale_inv of the published shape beside it. */
    private static Set<String> checkBlockFp8(Path checkpoint, Fp8BlockScheme scheme, List<TensorInfo> all, List<TensorInfo> fp8) {
        Map<String, TensorInfo> byName = new HashMap<>();
        for (TensorInfo t : all) byName.put(t.name(), t);
        Set<String> weights = new LinkedHashSet<>();
        for (TensorInfo t : fp8) {
            if (t.dtype() != scheme.format().dtype()) {
                throw new InvalidInputException(checkpoint, t.name(), "is " + t.dtype() + " but quantization_config.fmt says "
                        + scheme.format().configName());
            }
            TensorInfo s = byName.get(Fp8BlockScheme.scaleName(t.name()));
            if (s == null) {
                throw new InvalidInputException(checkpoint, t.name(), "is an FP8 tensor without its "
                        + Fp8BlockScheme.scaleName(t.name()) + ": the block scales are missing, so its values are unknown");
            }
            if (t.rank() != 2) {
                throw new InvalidInputException(checkpoint, t.name(), "is a block-FP8 tensor of rank " + t.rank()
                        + "; only 2-D [out, in] weights with [ceil(out/" + scheme.blockRows() + "), ceil(in/"
                        + scheme.blockCols() + ")] scales are supported");
            }
            long[] expected = scheme.scaleShape(t.dim(0), t.dim(1));
            if (!Arrays.equals(expected, s.shapeArray())) {
                throw new InvalidInputException(checkpoint, s.name(), "has shape " + s.shape() + " but a weight "
                        + t.shape() + " with weight_block_size [" + scheme.blockRows() + ", " + scheme.blockCols()
                        + "] needs " + Arrays.toString(expected));
            }
            if (!(s.dtype() == DType.F32 || s.dtype() == DType.BF16 || s.dtype() == DType.F16)) {
                throw new InvalidInputException(checkpoint, s.name(), "is " + s.dtype() + "; block scales must be F32, BF16 or F16");
            }
            weights.add(t.name());
        }
        return weights;
    }

    private static Optional<Fp8BlockScheme> blockScheme(JsonNode qc, Path checkpoint) {
        JsonNode b = qc.get("weight_block_size");
        if (b == null || b.isNull()) return Optional.empty();
        if (!b.isArray() || b.size() != 2 || !b.get(0).canConvertToInt() || !b.get(1).canConvertToInt()
                || !b.get(0).isIntegralNumber() || !b.get(1).isIntegralNumber() || b.get(0).asInt() < 1 || b.get(1).asInt() < 1) {
            throw new InvalidInputException(checkpoint.resolve("config.json"), null,
                    "quantization_config.weight_block_size must be two positive integers, got " + b);
        }
        String fmt = text(qc, "fmt").orElse("e4m3").toLowerCase(Locale.ROOT);
        Fp8Format format = switch (fmt) {
            case "e4m3", "float8_e4m3fn", "e4m3fn" -> Fp8Format.E4M3;
            case "e5m2", "float8_e5m2" -> Fp8Format.E5M2;
            default -> throw new InvalidInputException(checkpoint.resolve("config.json"), null,
                    "quantization_config.fmt '" + fmt + "' is not an FP8 format Ortho knows (e4m3, e5m2)");
        };
        return Optional.of(new Fp8BlockScheme(format, b.get(0).asInt(), b.get(1).asInt()));
    }

    private static void tensorEvidence(List<QuantFinding> out, List<TensorInfo> tensors, QuantFormat format,
                                       String what, Predicate<TensorInfo> test) {
        List<String> names = new ArrayList<>();
        Set<String> writers = new LinkedHashSet<>();
        int count = 0;
        for (TensorInfo t : tensors) {
            if (!test.test(t)) continue;
            if (names.size() < QuantFinding.EXAMPLES) names.add(t.name());
            String module = WriterHeuristics.writerModule(t.name());
            if (module != null) writers.add(module);
            count++;
        }
        if (count > 0) {
            out.add(new QuantFinding(format, what, names, count,
                    writers.stream().limit(QuantFinding.WRITERS).toList(), writers.size()));
        }
    }

    /** Keeps findings in order, dropping exact repeats. */
    private static List<QuantFinding> deduplicate(List<QuantFinding> in) {
        Map<String, QuantFinding> seen = new LinkedHashMap<>();
        for (QuantFinding f : in) seen.putIfAbsent(f.describe(), f);
        return List.copyOf(seen.values());
    }

    private static boolean endsWithAny(String name, String... suffixes) {
        for (String s : suffixes) if (name.endsWith(s)) return true;
        return false;
    }

    private static Optional<String> text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    }

    private static boolean bool(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isBoolean() && v.asBoolean();
    }
}
