package dev.ortho.core.arch;

import java.util.regex.Pattern;

/**
 * Names that look like residual-stream writers across the model families we have met. A tensor
 * matching these but no rule of its spec is reported: a spec gap must never silently leave a
 * writer unedited.
 */
public final class WriterHeuristics {

    private static final Pattern WRITER_LIKE = Pattern.compile(
            ".*(?:\\b|_|\\.)(?:o_proj|out_proj|down_proj|c_proj|dense_4h_to_h|attention\\.dense|w2|wo|fc2|fc_out"
                    + "|proj_out|embed_tokens|embed_in|wte|wpe|word_embeddings|position_embeddings)"
                    + "(?:\\.weight|\\.bias)?$");

    private WriterHeuristics() {}

    public static boolean looksLikeWriter(String tensorName) {
        return WRITER_LIKE.matcher(tensorName).matches();
    }
}
