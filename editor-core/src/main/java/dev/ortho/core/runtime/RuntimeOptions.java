package dev.ortho.core.runtime;

/**
 * @param intraOpThreads ONNX Runtime threads per session; 0 lets it choose (one per core)
 * @param maxChunkBytes  largest float32 initializer; bigger tensors are split along dimension 0
 *                       (a direct ByteBuffer cannot pass 2 GiB); tests lower it to exercise splitting
 * @param padTokenId     id written into left padding (masked out, so any valid id does)
 * @param binding        how checkpoint tensors reach ONNX Runtime (see {@link WeightBinding})
 */
public record RuntimeOptions(int intraOpThreads, long maxChunkBytes, int padTokenId, WeightBinding binding) {

    public static final long MAX_CHUNK = Integer.MAX_VALUE - 64L;

    public RuntimeOptions {
        if (intraOpThreads < 0) throw RuntimeFailure.badRequest("intraOpThreads must be >= 0");
        if (binding == null) binding = WeightBinding.FEED;
        if (maxChunkBytes <= 0 || maxChunkBytes > MAX_CHUNK) maxChunkBytes = MAX_CHUNK;
    }

    public static RuntimeOptions defaults() { return new RuntimeOptions(0, MAX_CHUNK, 0, WeightBinding.FEED); }

    public RuntimeOptions withThreads(int n) { return new RuntimeOptions(n, maxChunkBytes, padTokenId, binding); }

    public RuntimeOptions withMaxChunkBytes(long b) { return new RuntimeOptions(intraOpThreads, b, padTokenId, binding); }

    public RuntimeOptions withBinding(WeightBinding b) { return new RuntimeOptions(intraOpThreads, maxChunkBytes, padTokenId, b); }
}
