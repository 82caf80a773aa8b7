package dev.ortho.core.arch;

import java.util.regex.Pattern;

/**
 * Names that look like residual-stream writers across the model families we have met. A tensor
 * matching these but no rule of its spec is reported: a spec gap must never silently leave a
 * writer unedited.
 *
 * <p>Any suffix after the module name counts, not only {@code .weight} and {@code .bias}: quantized
 * and adapter checkpoints store a writer as {@code o_proj.qweight}, {@code down_proj.scales},
 * {@code o_proj.lora_B.weight} or {@code o_proj.weight_scale_inv}, and those must be named too.
 */
public final class WriterHeuristics {

    private static final Pattern WRITER_LIKE = Pattern.compile(
            "((?:.*(?:\\.|_))?(?:o_proj|out_proj|down_proj|c_proj|dense_4h_to_h|attention\\.dense|w2|wo|fc2|fc_out"
                    + "|proj_out|embed_tokens|embed_in|wte|wpe|word_embeddings|position_embeddings))"
                    + "(?:[._].*)?");

    private WriterHeuristics() {}

    public static boolean looksLikeWriter(String tensorName) {
        return WRITER_LIKE.matcher(tensorName).matches();
    }

    /** The writer module a writer-like tensor belongs to ({@code ...o_proj} of {@code ...o_proj.qweight}), or null. */
    public static String writerModule(String tensorName) {
        var m = WRITER_LIKE.matcher(tensorName);
        return m.matches() ? m.group(1) : null;
    }
}
