package dev.ortho.core.edit.quant;

/**
 * Block-wise FP8 as DeepSeek-V3 and Qwen3-FP8 ship it ({@code quantization_config: {"quant_method":
 * "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}}): a weight {@code [out, in]} stored as
 * 8-bit floats and beside it {@code weight_scale_inv [ceil(out/bm), ceil(in/bn)]}; the weight's
 * value is the 8-bit value times its block's {@code scale_inv}.
 *
 * @param format     the 8-bit float format of the weights
 * @param blockRows  bm, rows (output features) per block
 * @param blockCols  bn, columns (input features) per block
 */
public record Fp8BlockScheme(Fp8Format format, int blockRows, int blockCols) {

    /** Name suffix of the scale tensor beside {@code NAME.weight}. */
    public static final String SCALE_SUFFIX = "_scale_inv";

    public Fp8BlockScheme {
        if (blockRows < 1 || blockCols < 1) throw new IllegalArgumentException("block sizes must be positive");
    }

    /** The scale tensor's expected shape for a weight of shape [rows, cols]. */
    public long[] scaleShape(long rows, long cols) {
        return new long[]{ceilDiv(rows, blockRows), ceilDiv(cols, blockCols)};
    }

    /** {@code x.weight} → {@code x.weight_scale_inv}. */
    public static String scaleName(String weightName) {
        return weightName + SCALE_SUFFIX;
    }

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
