package dev.ortho.core.verify;

import dev.ortho.core.arch.Role;
import dev.ortho.core.edit.ElementCodec;
import dev.ortho.core.edit.EditPlanner;
import dev.ortho.core.edit.ProjectionKernel;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.Sha256Hex;
import dev.ortho.core.provenance.EditedTensor;
import dev.ortho.core.provenance.FileDigest;
import dev.ortho.core.provenance.Manifest;
import dev.ortho.core.provenance.ManifestJson;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code ortho verify}: checks an output directory against its manifest (hashes), checks that
 * every edited tensor has no component along r beyond rounding, and, given the original, that
 * untouched tensors are byte-identical and edited ones equal the projection of the original.
 */
public final class Verifier {

    private Verifier() {}

    public static VerifyReport verify(Path edited, Optional<Path> original, int threads) {
        Path dir = Files.isDirectory(edited) ? edited : edited.toAbsolutePath().getParent();
        Manifest manifest = ManifestJson.read(dir.resolve(Manifest.FILE_NAME));
        List<CheckResult> checks = new ArrayList<>();
        checkHashes(dir, manifest, checks);
        Checkpoint opened;
        try {
            opened = Checkpoint.open(dir);
        } catch (InvalidInputException e) {
            // A tampered output may no longer even be a consistent checkpoint: that is a failed
            // verification of an Ortho output, not bad input.
            checks.add(new CheckResult("files", dir.toString(), false, "not a consistent checkpoint any more: " + e.getMessage()));
            return new VerifyReport(dir.toString(), original.map(Path::toString).orElse(null), checks);
        }
        try (Checkpoint out = opened) {
            checkLeftovers(out, manifest, checks);
            if (original.isPresent()) {
                try (Checkpoint in = Checkpoint.open(original.get())) {
                    checkAgainstOriginal(in, out, manifest, threads, checks);
                }
            }
        }
        return new VerifyReport(dir.toString(), original.map(Path::toString).orElse(null), checks);
    }

    // ------------------------------------------------------------------ hashes and file set

    private static void checkHashes(Path dir, Manifest m, List<CheckResult> checks) {
        Set<String> listed = new HashSet<>();
        for (FileDigest f : m.outputs()) {
            listed.add(f.path());
            Path p = dir.resolve(f.path()).normalize();
            if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
                checks.add(new CheckResult("hash", f.path(), false, "listed in the manifest but missing"));
                continue;
            }
            if (f.sha256() == null) {
                checks.add(new CheckResult("hash", f.path(), true, "no hash recorded (made with --hash none): only present"));
                continue;
            }
            try (Arena arena = Arena.ofShared(); var ch = java.nio.channels.FileChannel.open(p)) {
                long size = ch.size();
                String sha = size == 0 ? Sha256Hex.of(Sha256Hex.newDigest().digest())
                        : Sha256Hex.hash(ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, size, arena));
                boolean ok = size == f.size() && sha.equals(f.sha256());
                checks.add(new CheckResult("hash", f.path(), ok, ok ? "sha256 " + sha.substring(0, 16) + "…"
                        : "sha256 " + sha + " (" + size + " bytes) but the manifest says " + f.sha256() + " (" + f.size() + " bytes)"));
            } catch (IOException e) {
                throw new OrthoIoException(p, "cannot read for hashing", e);
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".safetensors") && !listed.contains(name)) {
                    checks.add(new CheckResult("files", name, false, "weight file not listed in the manifest"));
                }
            }
        } catch (IOException e) {
            throw new OrthoIoException(dir, "cannot list", e);
        }
    }

    // ------------------------------------------------------------------ leftover along r

    private static void checkLeftovers(Checkpoint out, Manifest m, List<CheckResult> checks) {
        for (EditedTensor e : m.edits()) {
            double alpha = alphaOf(m, e);
            boolean removal = alpha == 1.0;
            Optional<TensorRef> ref = out.find(e.name());
            if (ref.isEmpty()) {
                checks.add(new CheckResult("leftover", e.name(), false, "edited tensor missing from the output"));
                continue;
            }
            // Every basis vector's leftover must be ~0: norm preservation scales u, which is already
            // orthogonal to the whole span, so it keeps the leftover at rounding level too.
            Leftover l = new Leftover(0, 0);
            for (double[] r : basisOf(m, e)) {
                Leftover one = leftover(ref.get().data(), ref.get().info().dtype(), ref.get().info().shapeArray(),
                        ProjectionLayout.valueOf(e.layout()), r);
                l = new Leftover(Math.max(l.max, one.max), Math.max(l.worstRatio, one.worstRatio));
            }
            if (!removal) {
                checks.add(new CheckResult("leftover", e.name(), true, String.format(
                        "alpha=%s: max |r·w'| %.3e (not expected to be zero)", alpha, l.max)));
            } else {
                checks.add(new CheckResult("leftover", e.name(), l.worstRatio <= 1.0, String.format(
                        "max |r·w'| %.3e, %.2f of the rounding bound", l.max, l.worstRatio)));
            }
        }
    }

    private record Leftover(double max, double worstRatio) {}

    private static Leftover leftover(MemorySegment data, DType dtype, long[] shape, ProjectionLayout layout, double[] r) {
        ElementCodec codec = ElementCodec.of(dtype);
        int n = r.length;
        double rr = 0;
        for (double v : r) rr += v * v;
        double max = 0, worst = 0;
        if (layout == ProjectionLayout.ROWS) {
            long rows = data.byteSize() / dtype.byteSize() / n;
            double[] y = new double[n];
            for (long row = 0; row < rows; row++) {
                codec.decode(data, row * n, y, n);
                double dot = 0, sumAbs = 0, sumAbsY = 0;
                for (int i = 0; i < n; i++) {
                    dot += r[i] * y[i];
                    sumAbs += Math.abs(r[i] * y[i]);
                    sumAbsY += Math.abs(y[i]);
                }
                max = Math.max(max, Math.abs(dot));
                worst = Math.max(worst, Math.abs(dot) / LeftoverBound.bound(dtype, sumAbs, sumAbsY, rr));
            }
        } else {
            int cols = (int) shape[shape.length - 1];
            long batches = data.byteSize() / dtype.byteSize() / ((long) n * cols);
            double[] y = new double[cols];
            for (long b = 0; b < batches; b++) {
                double[] dot = new double[cols], sumAbs = new double[cols], sumAbsY = new double[cols];
                for (int h = 0; h < n; h++) {
                    codec.decode(data, (b * n + h) * cols, y, cols);
                    for (int j = 0; j < cols; j++) {
                        dot[j] += r[h] * y[j];
                        sumAbs[j] += Math.abs(r[h] * y[j]);
                        sumAbsY[j] += Math.abs(y[j]);
                    }
                }
                for (int j = 0; j < cols; j++) {
                    max = Math.max(max, Math.abs(dot[j]));
                    worst = Math.max(worst, Math.abs(dot[j]) / LeftoverBound.bound(dtype, sumAbs[j], sumAbsY[j], rr));
                }
            }
        }
        return new Leftover(max, worst);
    }

    /** The basis the edit used for this tensor (the manifest's per-tensor basis layer, else its layer). */
    private static List<double[]> basisOf(Manifest m, EditedTensor e) {
        List<List<double[]>> unit = m.direction().unit();
        if (unit.size() == 1) return unit.getFirst();
        int layer = e.basisLayer() != null && e.basisLayer() >= 0 ? e.basisLayer() : Math.max(e.layer(), 0);
        return unit.get(layer);
    }

    /** α_t of the tensor (older manifests: the global alpha). */
    private static double alphaOf(Manifest m, EditedTensor e) {
        return e.alpha() != null ? e.alpha() : m.parameters().alpha();
    }

    // ------------------------------------------------------------------ against the original

    private static void checkAgainstOriginal(Checkpoint in, Checkpoint out, Manifest m, int threads,
                                             List<CheckResult> checks) {
        Map<String, EditedTensor> edits = new HashMap<>();
        for (EditedTensor e : m.edits()) edits.put(e.name(), e);
        Set<String> seen = new HashSet<>();
        int identical = 0;
        List<String> differing = new ArrayList<>();
        try (ProjectionKernel kernel = new ProjectionKernel(threads)) {
            for (TensorRef o : out.tensors()) {
                String name = o.info().name();
                seen.add(name);
                boolean untiedHead = m.parameters().untied() && name.equals(EditPlanner.UNTIED_HEAD_NAME)
                        && in.find(name).isEmpty();
                Optional<TensorRef> src = untiedHead ? embedding(in, m) : in.find(name);
                if (src.isEmpty()) {
                    checks.add(new CheckResult("identical", name, false, "not in the original checkpoint"));
                    continue;
                }
                EditedTensor e = edits.get(name);
                if (e == null) {
                    MemorySegment a = src.get().data(), b = o.data();
                    if (a.byteSize() == b.byteSize() && a.mismatch(b) == -1 && src.get().info().dtype() == o.info().dtype()
                            && src.get().info().shape().equals(o.info().shape())) {
                        identical++;
                    } else {
                        differing.add(name);
                    }
                    continue;
                }
                boolean np = m.parameters().normPreserving() && !e.role().equals(Role.WRITER_BIAS.name());
                checks.add(compareProjection(kernel, src.get(), o, e, basisOf(m, e), alphaOf(m, e), np));
            }
        }
        for (TensorRef t : in.tensors()) {
            if (!seen.contains(t.info().name())) {
                checks.add(new CheckResult("identical", t.info().name(), false, "in the original but missing from the output"));
            }
        }
        checks.add(new CheckResult("identical", "untouched tensors", differing.isEmpty(), differing.isEmpty()
                ? identical + " byte-identical to the original"
                : differing.size() + " differ from the original although not edited: " + String.join(", ", differing.subList(0, Math.min(5, differing.size())))));
    }

    private static Optional<TensorRef> embedding(Checkpoint in, Manifest m) {
        return m.edits().stream().filter(e -> e.role().equals("EMBEDDING")).findFirst()
                .flatMap(e -> in.find(e.name()));
    }

    private static CheckResult compareProjection(ProjectionKernel kernel, TensorRef src, TensorRef out,
                                                 EditedTensor e, List<double[]> basis, double alpha, boolean normPreserving) {
        DType dtype = out.info().dtype();
        if (dtype != src.info().dtype() || !out.info().shape().equals(src.info().shape())) {
            return new CheckResult("projection", e.name(), false, "dtype or shape differs from the original");
        }
        // Recompute the projection chunk by chunk and compare each chunk with the stored bytes at
        // the same offset, so verification needs no buffer the size of the tensor.
        ElementCodec codec = ElementCodec.of(dtype);
        MemorySegment actual = out.data();
        int size = dtype.byteSize();
        long[] at = {0}, differing = {0}, beyondUlp = {0};
        double[] a = new double[1], b = new double[1];
        kernel.project(src.data(), dtype, src.info().shapeArray(), ProjectionLayout.valueOf(e.layout()), basis, alpha,
                normPreserving, chunk -> {
            MemorySegment stored = actual.asSlice(at[0], chunk.byteSize());
            if (stored.mismatch(chunk) != -1) {
                for (long i = 0; i < chunk.byteSize() / size; i++) {
                    codec.decode(stored, i, a, 1);
                    codec.decode(chunk, i, b, 1);
                    if (Double.compare(a[0], b[0]) != 0) {
                        differing[0]++;
                        if (!(Math.abs(a[0] - b[0]) <= ulp(dtype, b[0]))) beyondUlp[0]++;
                    }
                }
            }
            at[0] += chunk.byteSize();
        });
        if (differing[0] == 0) {
            return new CheckResult("projection", e.name(), true, "bit-identical to the projection of the original");
        }
        return new CheckResult("projection", e.name(), beyondUlp[0] == 0, beyondUlp[0] == 0
                ? differing[0] + " elements differ by 1 ulp from the projection of the original"
                : beyondUlp[0] + " of " + src.info().elementCount() + " elements differ by more than 1 ulp from the projection of the original");
    }

    private static double ulp(DType t, double v) {
        return switch (t) {
            case F32 -> Math.ulp((float) v);
            case F64 -> Math.ulp(v);
            case BF16 -> Math.ulp((float) v) * 65536.0;
            case F16 -> Math.max(Math.ulp((float) v) * 8192.0, 0x1p-24);
            default -> 0;
        };
    }
}
