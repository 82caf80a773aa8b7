package dev.ortho.core.edit.quant;

/** Quantized and adapter formats Ortho recognises, and what a user should do with each. */
public enum QuantFormat {
    /** Block-scaled FP8 (DeepSeek-V3, Qwen3-FP8): edited (requantized, or BF16 with --dequantize-edited). */
    FP8_BLOCK("block-scaled FP8", null),
    /** FP8 with per-tensor or per-channel {@code weight_scale} (FBGEMM, ModelOpt, compressed-tensors). */
    FP8_SCALED("FP8 with per-tensor/per-channel weight_scale",
            "dequantize it to BF16/F16 first (e.g. load it in transformers and save_pretrained), edit, then requantize"),
    GPTQ("GPTQ", "dequantize it first (load the unquantized base model, or dequantize the GPTQ weights), edit, then requantize"),
    AWQ("AWQ", "dequantize it first (edit the unquantized base model), then requantize with AWQ"),
    BITSANDBYTES("bitsandbytes", "edit the unquantized base model; bitsandbytes quantizes at load time anyway"),
    COMPRESSED_TENSORS("compressed-tensors", "dequantize it first (edit the unquantized base model), then recompress"),
    MX("microscaling (MX) 4/8-bit", "dequantize it first, edit, then requantize"),
    LORA("LoRA adapter", "merge the adapter into its base model first (peft: merge_and_unload(), then save_pretrained), then edit the merged model"),
    OTHER("quantized", "dequantize it first (edit the unquantized base model), then requantize");

    private final String label;
    private final String advice;

    QuantFormat(String label, String advice) {
        this.label = label;
        this.advice = advice;
    }

    public String label() { return label; }

    /** What to do instead; null for a format Ortho edits. */
    public String advice() { return advice; }

    public boolean editable() { return this == FP8_BLOCK; }
}
