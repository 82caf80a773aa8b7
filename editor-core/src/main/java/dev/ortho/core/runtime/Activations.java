package dev.ortho.core.runtime;

/** transformers' ACT2FN entries, as ONNX subgraphs (opset 17 has no Gelu operator). */
final class Activations {

    private Activations() {}

    static boolean known(String name) {
        return switch (name) {
            case "silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "quick_gelu" -> true;
            default -> false;
        };
    }

    static String apply(OnnxGraphBuilder g, String name, String x) {
        return switch (name) {
            case "silu", "swish" -> g.mul(x, g.sigmoid(x));
            case "relu" -> g.op("Relu", x);
            case "quick_gelu" -> g.mul(x, g.sigmoid(g.mul(x, g.scalar(1.702f))));
            // exact: 0.5·x·(1 + erf(x/√2))
            case "gelu" -> g.mul(g.mul(x, g.scalar(0.5f)),
                    g.add(g.scalar(1f), g.erf(g.mul(x, g.scalar((float) (1 / Math.sqrt(2)))))));
            // tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> {
                String cube = g.mul(g.mul(x, x), x);
                String inner = g.mul(g.scalar((float) Math.sqrt(2 / Math.PI)), g.add(x, g.mul(cube, g.scalar(0.044715f))));
                yield g.mul(g.mul(x, g.scalar(0.5f)), g.add(g.scalar(1f), g.tanh(inner)));
            }
            default -> throw new IllegalArgumentException("unknown activation " + name);
        };
    }
}
