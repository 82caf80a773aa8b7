package dev.ortho.core.verify;

import dev.ortho.core.arch.ArchRegistry;
import dev.ortho.core.arch.ArchSpec;
import dev.ortho.core.arch.Role;
import dev.ortho.core.edit.EditPlanner;
import dev.ortho.core.edit.Sha256Hex;
import dev.ortho.core.edit.TiedPolicy;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.QuantizedEdit;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.DType;
import dev.ortho.formats.safetensors.TensorInfo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code ortho verify}: checks an Ortho output without trusting its manifest's account of what was edited.
 *
 * <ol>
 *   <li>files: every file's SHA-256 against the manifest, and no file anywhere in the output tree (sub
 *       folders included) that the manifest does not list;</li>
 *   <li>plan: the edit is planned again from the architecture spec and the manifest's parameters over the
 *       output's tensors ({@link EditReplanner}); the manifest's {@code edits} list must be exactly that plan,
 *       entry for entry, and every tensor must sit in the shard it came from;</li>
 *   <li>leftover: every planned writer has no component along the removed directions beyond the rounding
 *       bound of its dtype (alpha_t = 1); for alpha_t != 1 that cannot be judged per vector without the
 *       original and is reported as not applicable, except that a tensor with nothing left along r cannot
 *       be an alpha_t != 1 edit of a generic original, which fails;</li>
 *   <li>with the original: every planned tensor equals the edit of the original recomputed by
 *       {@link ReferenceEdit} (independent float64 code) within 1 ulp, every other tensor is byte-identical,
 *       with the same dtype and shape.</li>
 * </ol>
 * Block-FP8 writers ({@link Fp8EditCheck}): one stored as FP8 with its scale beside it is planned too, its
 * leftover held to the bound requantization allows; with the original, a planned writer that is FP8 there is
 * redone, requantized (or rounded to BF16) and compared code by code, its scale checked with it; a writer the
 * manifest records as stored in BF16 must have lost its scale and be listed in modules_to_not_convert.
 */
public final class Verifier {

    /** Files an edit writes that hold weights or code a loader may run. */
    private static final Set<String> WEIGHT_SUFFIXES = Set.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf",
            ".npz", ".npy", ".h5", ".msgpack", ".onnx", ".pkl", ".py");

    private Verifier() {}

    public static VerifyReport verify(Path edited, Optional<Path> original, int threads) {
        return verify(edited, original, Optional.empty(), threads);
    }

    /**
     * @param archSpecFile the user spec the edit was made with, when the manifest's arch is not built in
     */
    public static VerifyReport verify(Path edited, Optional<Path> original, Optional<Path> archSpecFile, int threads) {
        if (!Files.exists(edited)) throw new InvalidInputException(edited, null, "does not exist");
        Path dir = Files.isDirectory(edited) ? edited : edited.toAbsolutePath().getParent();
        Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        RecordedEdit rec = RecordedEdit.read(manifestFile);
        ArchRegistry registry = ArchRegistry.builtin();
        if (archSpecFile.isPresent()) registry = registry.with(archSpecFile.get());
        ArchSpec spec = registry.byName(rec.arch()).orElseThrow(() -> new InvalidInputException(manifestFile, null,
                "the edit used architecture '" + rec.arch() + "', which is not built in: pass its spec with --arch-spec FILE"));

        List<CheckResult> checks = new ArrayList<>();
        checkFiles(dir, rec.outputs(), checks);
        Checkpoint opened;
        try {
            opened = Checkpoint.open(dir);
        } catch (InvalidInputException e) {
            // A tampered output may no longer even be a consistent checkpoint: that is a failed
            // verification of an Ortho output, not bad input.
            checks.add(new CheckResult("files", dir.toString(), false, "not a consistent checkpoint any more: " + e.getMessage()));
            return new VerifyReport(dir.toString(), original.map(Path::toString).orElse(null), checks);
        }
        try (Checkpoint out = opened; Checkpoint in = original.map(Checkpoint::open).orElse(null)) {
            Path configFile = dir.resolve("config.json");
            if (!Files.isRegularFile(configFile)) {
                checks.add(new CheckResult("files", "config.json", false, "missing: the plan needs the hidden size"));
                return new VerifyReport(dir.toString(), original.map(Path::toString).orElse(null), checks);
            }
            ModelConfig config = ModelConfig.read(configFile);
            boolean inputTied = tiedState(spec, out, config, in, rec, checks);
            List<TensorInfo> outTensors = out.tensors().stream().map(TensorRef::info).toList();
            EditReplanner.Replan plan = EditReplanner.plan(spec, config.hiddenSize(), outTensors, rec, inputTied);
            checks.addAll(plan.problems());
            checkApproximate(spec, plan, rec, checks);
            ManifestAgreement.check(plan.expected(), rec, out, checks);
            if (in != null) checkPlacement(spec, in, out, rec, checks);
            try (Workers workers = new Workers(threads)) {
                checks.addAll(workers.map(List.copyOf(plan.expected().values()),
                        e -> leftover(out, e, rec.entries().get(e.name()), in != null)));
                checkDequantized(plan.expected(), rec, out, configFile, checks);
                if (in != null) {
                    Set<String> fp8Scales = fp8Scales(in, plan.expected());
                    checks.addAll(workers.map(out.tensors(), o -> fp8Scales.contains(o.info().name()) ? List.of()
                            : againstOriginal(spec, in, out, o, plan.expected(), rec)));
                    for (TensorRef t : in.tensors()) {
                        // The scale of an FP8 writer stored as BF16 is dropped (Fp8EditCheck checks that it is).
                        if (out.find(t.info().name()).isEmpty() && !fp8Scales.contains(t.info().name())) {
                            checks.add(new CheckResult("identical", t.info().name(), false, "in the original but missing from the output"));
                        }
                    }
                } else {
                    checks.add(CheckResult.notApplicable("reference", "edited tensors", "equality with the edit of the"
                            + " original needs --original"));
                    checks.add(CheckResult.notApplicable("identical", "untouched tensors", (out.tensors().size()
                            - plan.expected().size()) + " tensors: byte identity with the original needs --original"));
                }
            }
        }
        return new VerifyReport(dir.toString(), original.map(Path::toString).orElse(null), checks);
    }

    // ------------------------------------------------------------------ hashes and file set

    private static void checkFiles(Path dir, List<FileDigest> outputs, List<CheckResult> checks) {
        Set<String> listed = new HashSet<>();
        Path root = dir.toAbsolutePath().normalize();
        for (FileDigest f : outputs) {
            listed.add(f.path());
            Path p = root.resolve(f.path()).normalize();
            if (!p.startsWith(root) || !Files.isRegularFile(p) || Files.isSymbolicLink(p)) {
                checks.add(new CheckResult("hash", f.path(), false, "listed in the manifest but missing"));
                continue;
            }
            if (f.sha256() == null) {
                checks.add(CheckResult.notApplicable("hash", f.path(), "no hash recorded (made with --hash none): the file is"
                        + " present, its bytes are checked only by the tensor checks"));
                continue;
            }
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(p)) {
                long size = ch.size();
                String sha = size == 0 ? Sha256Hex.of(Sha256Hex.newDigest().digest())
                        : Sha256Hex.hash(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
                boolean ok = size == f.size() && sha.equals(f.sha256());
                checks.add(new CheckResult("hash", f.path(), ok, ok ? "sha256 " + sha.substring(0, 16) + "…"
                        : "sha256 " + sha + " (" + size + " bytes) but the manifest says " + f.sha256() + " (" + f.size() + " bytes)"));
            } catch (IOException e) {
                throw new OrthoIoException(p, "cannot read for hashing", e);
            }
        }
        // Everything in the tree, sub folders included: a loader may pick up weights or code from anywhere.
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted().toList()) {
                if (p.equals(root) || Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (rel.equals(Manifest.FILE_NAME) || listed.contains(rel)) continue;
                String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
                String what = Files.isSymbolicLink(p) ? "link" : WEIGHT_SUFFIXES.stream().anyMatch(name::endsWith)
                        || name.endsWith(".index.json") ? "weight or code file" : "file";
                checks.add(new CheckResult("files", rel, false, what + " not listed in the manifest (an edit writes only"
                        + " the files it lists)"));
            }
        } catch (IOException e) {
            throw new OrthoIoException(dir, "cannot list", e);
        }
    }

    // ------------------------------------------------------------------ tied head and post-norm writers

    /**
     * Whether the input's head was tied: from the original when given, else as recorded, checked against what
     * the output must then look like. The recorded {@code untied} must follow from it and the policy.
     */
    private static boolean tiedState(ArchSpec spec, Checkpoint out, ModelConfig outConfig, Checkpoint in, RecordedEdit rec,
                                     List<CheckResult> checks) {
        boolean tied = rec.tied();
        if (in != null) {
            boolean inHead = in.tensors().stream().anyMatch(t -> spec.classify(t.info().name()).role() == Role.LM_HEAD);
            boolean inEmbedding = in.tensors().stream().anyMatch(t -> spec.classify(t.info().name()).role() == Role.EMBEDDING);
            Path cfg = in.directory().resolve("config.json");
            Optional<Boolean> raw = Files.isRegularFile(cfg) ? ModelConfig.read(cfg).tieWordEmbeddingsRaw() : Optional.empty();
            tied = inEmbedding && !inHead && raw.orElse(true);
            if (tied != rec.tied()) {
                checks.add(new CheckResult("plan", "tied head", false, "the manifest says tied=" + rec.tied()
                        + " but the original's head is " + (tied ? "tied" : "not tied")));
            }
        }
        boolean untied = tied && rec.tiedPolicy() == TiedPolicy.UNTIE && rec.components().contains("embed");
        if (untied != rec.untied()) {
            checks.add(new CheckResult("plan", "tied head", false, "the manifest says untied=" + rec.untied()
                    + " but tied=" + tied + " with --tied-embeddings " + rec.tiedPolicy().cliName() + " means untied=" + untied));
        }
        boolean outHead = out.find(EditPlanner.UNTIED_HEAD_NAME).isPresent();
        if (untied && (!outHead || outConfig.tieWordEmbeddingsRaw().orElse(true))) {
            checks.add(new CheckResult("plan", EditPlanner.UNTIED_HEAD_NAME, false, "an untied edit must write an explicit head"
                    + " and tie_word_embeddings=false in config.json; the output has " + (outHead ? "the head" : "no head")
                    + " and tie_word_embeddings=" + outConfig.tieWordEmbeddingsRaw().map(String::valueOf).orElse("(absent)")));
        }
        return tied;
    }

    private static void checkApproximate(ArchSpec spec, EditReplanner.Replan plan, RecordedEdit rec, List<CheckResult> checks) {
        boolean approximate = spec.postNormWriters() && plan.expected().values().stream()
                .anyMatch(e -> e.role() == Role.ATTN_OUT || e.role() == Role.MLP_OUT || e.role() == Role.EXPERT_OUT);
        if (approximate != rec.approximate() || (approximate && !rec.allowApproximate())) {
            checks.add(new CheckResult("plan", "approximate", false, "the plan edits " + (approximate ? "" : "no ")
                    + "post-norm writers of '" + spec.name() + "' but the manifest says approximate=" + rec.approximate()
                    + ", allow_approximate=" + rec.allowApproximate()));
        }
    }

    /** Every output tensor in the shard the original kept it in (an untied head: the embedding's shard). */
    private static void checkPlacement(ArchSpec spec, Checkpoint in, Checkpoint out, RecordedEdit rec, List<CheckResult> checks) {
        int moved = 0;
        for (TensorRef o : out.tensors()) {
            String name = o.info().name();
            Optional<TensorRef> src = source(spec, in, o, rec);
            if (src.isEmpty()) continue; // reported by the comparison with the original
            String want = src.get().file().path().getFileName().toString(), have = o.file().path().getFileName().toString();
            if (!want.equals(have)) {
                moved++;
                checks.add(new CheckResult("placement", name, false, "stored in " + have + " but the original keeps it in " + want));
            }
        }
        if (moved == 0) checks.add(new CheckResult("placement", "all tensors", true, "each in the shard the original keeps it in"));
    }

    // ------------------------------------------------------------------ leftover along the basis

    /**
     * @param haveOriginal the original is given: the reference check decides whether an edit with alpha_t != 1 is the
     *                     planned one, so the heuristic "nothing is left, so it looks like alpha 1" is not needed
     */
    private static List<CheckResult> leftover(Checkpoint checkpoint, ExpectedEdit e, RecordedEdit.Entry entry, boolean haveOriginal) {
        TensorRef ref = checkpoint.tensor(e.name());
        TensorInfo info = ref.info();
        if (Fp8EditCheck.isFp8(info.dtype())) {
            // Planned as FP8 only with its scale beside it: requantized; the FP8 grid, not the dtype's rounding, bounds it.
            QuantizedEdit q = entry == null ? null : entry.quantized();
            if (q == null || !Fp8EditCheck.requantized(q) || !q.scaleTensor().equals(Fp8EditCheck.scaleOf(e.name()))) {
                return List.of(new CheckResult("leftover", e.name(), false, "stored as " + info.dtype() + " with its scale,"
                        + " but the manifest does not record it as requantized with " + Fp8EditCheck.scaleOf(e.name())));
            }
            return List.of(Fp8EditCheck.leftover(checkpoint, e.name(), e.layout().name(), q, e.basis().get(0), e.alphaT()));
        }
        List<CheckResult> out = new ArrayList<>();
        LeftoverCheck.Leftover l = LeftoverCheck.measure(ref.data(), info.dtype(), info.shapeArray(), e);
        String along = e.basis().size() == 1 ? "r" : "the " + e.basis().size() + " directions";
        if (e.alphaT() == 1.0) {
            out.add(new CheckResult("leftover", e.name(), l.worstRatio() <= 1.0, String.format(Locale.ROOT,
                    "max |%s·w'| %.3e, %.2f of the %s rounding bound%s", e.basis().size() == 1 ? "r" : "q",
                    l.max(), l.worstRatio(), info.dtype(), l.worstRatio() <= 1.0 ? "" : ": a planned writer still has a"
                            + " component along " + along + " (not edited, or edited wrongly)")));
        } else if (!haveOriginal && l.nonZero() > 1 && l.worstRatio() <= 1.0 && distinguishableFromOne(e.alphaT(), info.dtype())) {
            out.add(new CheckResult("leftover", e.name(), false, String.format(Locale.ROOT, "alpha_t=%s leaves (1 - alpha_t)(r·v)"
                    + " along r, but nothing is left (max |r·w'| %.3e): these weights look edited with alpha 1, not what the"
                    + " manifest says (or the original was already orthogonal to r; check with --original)", fmt(e.alphaT()), l.max())));
        } else {
            out.add(CheckResult.notApplicable("leftover", e.name(), String.format(Locale.ROOT, "alpha_t=%s: the expected"
                    + " leftover (1 - alpha_t)(r·v) depends on the original v (max |r·w'| %.3e); %s",
                    fmt(e.alphaT()), l.max(), haveOriginal ? "the reference check against the original decides" : "--original checks it")));
        }
        if (entry != null && Double.isFinite(entry.frobeniusAfter())) {
            double rel = Math.abs(l.frobenius() - entry.frobeniusAfter()) / Math.max(entry.frobeniusAfter(), Double.MIN_NORMAL);
            if (rel > 1e-7) {
                out.add(new CheckResult("leftover", e.name(), false, String.format(Locale.ROOT, "Frobenius norm %.9g but the"
                        + " manifest recorded %.9g for it: these are not the bytes the edit wrote", l.frobenius(), entry.frobeniusAfter())));
            }
        }
        return out;
    }

    /**
     * Whether an edit with {@code alphaT} can be told from one with alpha 1 by its leftover alone. The honest leftover
     * of a vector x is (1 − alpha_t)(r·x), at most |1 − alpha_t| Σ|rᵢ||xᵢ| (times ‖x‖/‖u‖ ≥ 1 when norm-preserving), and the
     * rounding bound allows 2u Σ|rᵢ||yᵢ|: with |1 − alpha_t| ≤ 2u every honest leftover fits the bound, so "nothing is
     * left" proves nothing (a layer kernel's strength of 1.0009 on a BF16 writer, for instance).
     */
    static boolean distinguishableFromOne(double alphaT, DType dtype) {
        return Math.abs(1 - alphaT) > 2 * LeftoverBound.unitRoundoff(dtype);
    }

    // ------------------------------------------------------------------ against the original

    private static Optional<TensorRef> source(ArchSpec spec, Checkpoint in, TensorRef o, RecordedEdit rec) {
        String name = o.info().name();
        Optional<TensorRef> direct = in.find(name);
        if (direct.isPresent() || !(rec.untied() && name.equals(EditPlanner.UNTIED_HEAD_NAME))) return direct;
        // The untied head is a copy of the original embedding.
        return in.tensors().stream().filter(t -> spec.classify(t.info().name()).role() == Role.EMBEDDING).findFirst();
    }

    private static List<CheckResult> againstOriginal(ArchSpec spec, Checkpoint in, Checkpoint out, TensorRef o,
                                                     Map<String, ExpectedEdit> expected, RecordedEdit rec) {
        String name = o.info().name();
        Optional<TensorRef> src = source(spec, in, o, rec);
        if (src.isEmpty()) return List.of(new CheckResult("identical", name, false, "not in the original checkpoint"));
        TensorInfo a = src.get().info(), b = o.info();
        ExpectedEdit planned = expected.get(name);
        if (planned != null && Fp8EditCheck.isFp8(a.dtype())) return fp8AgainstOriginal(in, out, planned, rec.entries().get(name));
        if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
            return List.of(new CheckResult(expected.containsKey(name) ? "reference" : "identical", name, false,
                    "stored as " + b.dtype() + " " + b.shape() + " but the original " + a.name() + " is " + a.dtype() + " " + a.shape()));
        }
        ExpectedEdit e = expected.get(name);
        if (e == null) {
            MemorySegment x = src.get().data(), y = o.data();
            long at = x.mismatch(y);
            return List.of(at == -1 ? new CheckResult("identical", name, true, "byte-identical to the original")
                    : new CheckResult("identical", name, false, "not planned to be edited, but differs from the original"
                    + " at byte " + at));
        }
        ReferenceEdit.Agreement g = ReferenceEdit.compare(src.get().data(), o.data(), b.dtype(), b.shapeArray(), e);
        String what = String.format(Locale.ROOT, "edit (alpha_t=%s, k=%d%s)", fmt(e.alphaT()), e.basis().size(),
                e.rescaled() ? ", norm-preserving" : "");
        if (g.ok()) {
            return List.of(new CheckResult("reference", name, true, g.withinUlp() == 0
                    ? "bit-identical to the float64 reference " + what + " of the original"
                    : String.format(Locale.ROOT, "equals the float64 reference %s of the original: %d elements bit-identical,"
                    + " %d within 1 ulp", what, g.bitIdentical(), g.withinUlp())));
        }
        return List.of(new CheckResult("reference", name, false, String.format(Locale.ROOT, "%d of %d elements differ by more"
                + " than 1 ulp from the float64 reference %s of the original (first at element %d, worst %.3g ulp)",
                g.beyond(), g.elements(), what, g.firstBeyond(), g.worstUlps())));
    }

    /**
     * A planned writer that is block-FP8 in the original: redone from the original and requantized (or rounded to
     * BF16, --dequantize-edited) by {@link Fp8EditCheck}, which checks its scale tensor too.
     */
    private static List<CheckResult> fp8AgainstOriginal(Checkpoint in, Checkpoint out, ExpectedEdit e, RecordedEdit.Entry entry) {
        QuantizedEdit q = entry == null ? null : entry.quantized();
        if (q == null || !q.scaleTensor().equals(Fp8EditCheck.scaleOf(e.name()))) {
            return List.of(new CheckResult("projection", e.name(), false, "a block-FP8 writer in the original, but the"
                    + " manifest does not record its FP8 edit with the scale " + Fp8EditCheck.scaleOf(e.name())));
        }
        if (e.basis().size() > 1 || e.rescaled()) {
            return List.of(new CheckResult("projection", e.name(), false, "a block-FP8 writer, which the edit refuses to"
                    + " edit with norm preservation or more than one direction"));
        }
        return Fp8EditCheck.againstOriginal(in, out, e.name(), e.layout().name(), q, e.basis().get(0), e.alphaT());
    }

    /** Scale tensors of planned writers that are block-FP8 in the original: rewritten or dropped with their weight. */
    private static Set<String> fp8Scales(Checkpoint in, Map<String, ExpectedEdit> expected) {
        Set<String> out = new HashSet<>();
        for (ExpectedEdit e : expected.values()) {
            Optional<TensorRef> src = in.find(e.name());
            if (src.isPresent() && Fp8EditCheck.isFp8(src.get().info().dtype())) out.add(Fp8EditCheck.scaleOf(e.name()));
        }
        return out;
    }

    /**
     * A writer the manifest records as stored in BF16 from block FP8 (--dequantize-edited): its scale must be gone
     * and config.json's quantization_config must tell loaders to leave its module unquantized, or they look for the
     * scale (or requantize it). Checked without the original; with it, {@link Fp8EditCheck} redoes the edit.
     */
    private static void checkDequantized(Map<String, ExpectedEdit> expected, RecordedEdit rec, Checkpoint out,
                                         Path configFile, List<CheckResult> checks) {
        for (ExpectedEdit e : expected.values()) {
            RecordedEdit.Entry entry = rec.entries().get(e.name());
            if (entry == null || entry.quantized() == null || Fp8EditCheck.requantized(entry.quantized())) continue;
            String module = e.name().endsWith(".weight") ? e.name().substring(0, e.name().length() - ".weight".length()) : e.name();
            List<String> problems = new ArrayList<>();
            if (out.tensor(e.name()).info().dtype() != dev.ortho.formats.safetensors.DType.BF16) {
                problems.add("stored as " + out.tensor(e.name()).info().dtype() + ", not BF16");
            }
            if (out.find(Fp8EditCheck.scaleOf(e.name())).isPresent()) problems.add("its scale " + Fp8EditCheck.scaleOf(e.name()) + " is still there");
            if (!Fp8EditCheck.notConverted(configFile, module)) {
                problems.add("config.json's quantization_config.modules_to_not_convert does not list " + module);
            }
            checks.add(new CheckResult("dequantized", e.name(), problems.isEmpty(), problems.isEmpty()
                    ? "stored as BF16, scale dropped, left unquantized by config.json"
                    : "recorded as a block-FP8 writer stored as BF16, but " + String.join("; ", problems)));
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Per-tensor checks on a few threads; results in input order, so the report does not depend on threads. */
    private static final class Workers implements AutoCloseable {
        private final ExecutorService pool;

        Workers(int threads) {
            pool = threads <= 1 ? null : Executors.newFixedThreadPool(Math.min(threads, 64), r -> {
                Thread t = new Thread(r, "ortho-verify");
                t.setDaemon(true);
                return t;
            });
        }

        <T> List<CheckResult> map(List<T> items, Function<T, List<CheckResult>> f) {
            List<CheckResult> out = new ArrayList<>();
            if (pool == null) {
                for (T t : items) out.addAll(f.apply(t));
                return out;
            }
            List<Future<List<CheckResult>>> futures = new ArrayList<>();
            for (T t : items) futures.add(pool.submit(() -> f.apply(t)));
            try {
                for (Future<List<CheckResult>> fu : futures) out.addAll(fu.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during verification", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
            return out;
        }

        @Override
        public void close() {
            if (pool != null) pool.shutdownNow();
        }
    }
}
