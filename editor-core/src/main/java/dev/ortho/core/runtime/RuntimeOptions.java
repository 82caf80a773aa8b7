package dev.ortho.core.runtime;

/**
 * @param intraOpThreads ONNX Runtime threads per session; 0 lets it choose (one per core)
 * @param maxChunkBytes  largest float32 initializer; bigger tensors are split along dimension 0
 *                       (a direct ByteBuffer cannot pass 2 GiB); tests lower it to exercise splitting
 * @param padTokenId     id written into left padding (masked out, so any valid id does)
 * @param binding        how checkpoint tensors reach ONNX Runtime (see {@link WeightBinding})
 * @param weightsF32     widen BF16/F16 weights once into an off-heap float32 arena (4 bytes per parameter
 *                       resident, faster: no per-forward Cast) instead of running them from the file
 *                       mapping in their stored dtype (the default); F32 checkpoints are unaffected
 */
public record RuntimeOptions(int intraOpThreads, long maxChunkBytes, int padTokenId, WeightBinding binding,
                             boolean weightsF32) {

    public static final long MAX_CHUNK = Integer.MAX_VALUE - 64L;

    public RuntimeOptions {
        if (intraOpThreads < 0) throw RuntimeFailure.badRequest("intraOpThreads must be >= 0");
        if (binding == null) binding = WeightBinding.FEED;
        if (maxChunkBytes <= 0 || maxChunkBytes > MAX_CHUNK) maxChunkBytes = MAX_CHUNK;
    }

    public RuntimeOptions(int intraOpThreads, long maxChunkBytes, int padTokenId, WeightBinding binding) {
        this(intraOpThreads, maxChunkBytes, padTokenId, binding, false);
    }

    public static RuntimeOptions defaults() { return new RuntimeOptions(0, MAX_CHUNK, 0, WeightBinding.FEED, false); }

    public RuntimeOptions withThreads(int n) { return new RuntimeOptions(n, maxChunkBytes, padTokenId, binding, weightsF32); }

    public RuntimeOptions withMaxChunkBytes(long b) { return new RuntimeOptions(intraOpThreads, b, padTokenId, binding, weightsF32); }

    public RuntimeOptions withBinding(WeightBinding b) { return new RuntimeOptions(intraOpThreads, maxChunkBytes, padTokenId, b, weightsF32); }

    public RuntimeOptions withWeightsF32(boolean f32) {
        return new RuntimeOptions(intraOpThreads, maxChunkBytes, padTokenId, binding, f32);
    }

    /**
     * Whether BF16/F16 tensors are widened into the float32 arena: on request, and always with
     * {@link WeightBinding#INITIALIZER}, where ONNX Runtime would constant-fold each Cast into its own
     * float32 copy anyway.
     */
    boolean widensWeights() { return weightsF32 || binding == WeightBinding.INITIALIZER; }
}
