package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Parameters of a weight edit; every field lands in the manifest.
 *
 * @param alpha            scale of the removal (1 removes the component, negative values add it)
 * @param layers           decoder layers whose writers are edited
 * @param components       which writer kinds: embed, attn, mlp, bias
 * @param tiedPolicy       what to do with a tied head
 * @param allowApproximate edit post-norm architectures (Gemma 2/3) although it is not ablation
 * @param threads          kernel threads
 * @param hash             SHA-256 of every input and output file in the manifest (off: faster, but
 *                         {@code ortho verify} can then not check file hashes)
 * @param normPreserving   {@code --norm-preserving}: every edited write vector keeps its L2 norm
 * @param kernels          {@code --layer-kernel}: per-component strength over layers, or null
 */
public record EditOptions(double alpha, LayerSelection layers, Set<String> components, TiedPolicy tiedPolicy,
                          boolean allowApproximate, int threads, boolean hash, boolean normPreserving,
                          LayerKernels kernels) {

    public EditOptions(double alpha, LayerSelection layers, Set<String> components, TiedPolicy tiedPolicy,
                       boolean allowApproximate, int threads, boolean hash) {
        this(alpha, layers, components, tiedPolicy, allowApproximate, threads, hash, false, null);
    }

    public EditOptions(double alpha, LayerSelection layers, Set<String> components, TiedPolicy tiedPolicy,
                       boolean allowApproximate, int threads) {
        this(alpha, layers, components, tiedPolicy, allowApproximate, threads, true);
    }

    public static final List<String> ALL_COMPONENTS = List.of("embed", "attn", "mlp", "bias");

    public EditOptions {
        if (!Double.isFinite(alpha)) throw new InvalidInputException("--alpha must be a finite number, got " + alpha);
        if (threads < 1 || threads > 1024) throw new InvalidInputException("--threads must be 1..1024, got " + threads);
        for (String c : components) {
            if (!ALL_COMPONENTS.contains(c)) {
                throw new InvalidInputException("--components: unknown component '" + c + "' (known: " + String.join(",", ALL_COMPONENTS) + ")");
            }
        }
        if (components.isEmpty()) throw new InvalidInputException("--components selects nothing");
        components = Set.copyOf(new LinkedHashSet<>(components));
    }

    public static EditOptions defaults() {
        return new EditOptions(1.0, LayerSelection.ALL, Set.copyOf(ALL_COMPONENTS), TiedPolicy.UNTIE, false,
                Runtime.getRuntime().availableProcessors());
    }

    public EditOptions withThreads(int t) {
        return new EditOptions(alpha, layers, components, tiedPolicy, allowApproximate, t, hash, normPreserving, kernels);
    }

    /** The same options with the edit variants set. */
    public EditOptions withVariants(boolean normPreserving, LayerKernels kernels) {
        return new EditOptions(alpha, layers, components, tiedPolicy, allowApproximate, threads, hash, normPreserving, kernels);
    }

    /** The recipe these options describe, with {@code basis} as the directions. */
    public EditRecipe recipe(EditBasis basis) {
        return new EditRecipe(basis, alpha, kernels, normPreserving, layers, components);
    }

    public static Set<String> parseComponents(String text) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : text.split(",")) if (!s.isBlank()) out.add(s.strip());
        return out;
    }
}
