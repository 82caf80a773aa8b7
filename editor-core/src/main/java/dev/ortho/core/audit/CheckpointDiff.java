package dev.ortho.core.audit;

import dev.ortho.core.arch.ArchSpec;
import dev.ortho.core.arch.Role;
import dev.ortho.core.arch.TensorRole;
import dev.ortho.core.direction.CandidateDirections;
import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RefusalDirection;
import dev.ortho.core.edit.LoadedModel;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.pipeline.CandidatesFile;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.safetensors.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ortho diff}: audits OTHER, a checkpoint someone edited, against ORIGINAL, its base. Tensors are
 * matched by name whatever the sharding; each pair is compared byte for byte and, when it differs, its delta
 * is audited by {@link DeltaAnalyzer} from per-tensor mappings released after use, so memory stays bounded
 * by a few blocks per thread. Results do not depend on the thread count: each tensor is analyzed by one
 * thread and the results are combined in ORIGINAL's order.
 */
public final class CheckpointDiff {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointDiff.class);
    /** Pairs computed for the common direction: the top one and the next, to show whether one explains it. */
    private static final int COMMON_SUBSPACE = 8;

    private CheckpointDiff() {}

    /** One compared pair, before the checkpoint-wide steps. */
    private record Pair(TensorRef before, TensorRef after, TensorRole role, boolean changed, String note,
                        DeltaAnalyzer.Result result) {}

    public static DiffReport diff(DiffRequest request) {
        try (LoadedModel base = LoadedModel.open(request.original(), request.arch(), request.archSpec());
             Checkpoint other = Checkpoint.open(request.other())) {
            ArchSpec spec = base.spec();
            int hidden = base.config().hiddenSize(), layers = base.config().numLayers();
            Checkpoint original = base.checkpoint();

            List<DiffReport.Tensor> missing = new ArrayList<>();
            List<TensorRef[]> matched = new ArrayList<>();
            int writers = 0;
            java.util.Set<String> roles = new java.util.TreeSet<>();
            for (TensorRef t : original.tensors()) {
                TensorRole role = spec.classify(t.info().name());
                roles.add(role.role().name());
                if (role.writer() && ProjectionLayout.of(role.layout(), t.info().shapeArray(), hidden).isPresent()) writers++;
                Optional<TensorRef> o = other.find(t.info().name());
                if (o.isPresent()) matched.add(new TensorRef[]{t, o.get()});
                else missing.add(tensor(t.info(), role));
            }
            List<DiffReport.Tensor> added = new ArrayList<>();
            for (TensorRef t : other.tensors()) {
                if (original.find(t.info().name()).isEmpty()) added.add(tensor(t.info(), spec.classify(t.info().name())));
            }

            List<Pair> pairs = compareAll(matched, spec, hidden, request.threads());
            List<Pair> changedPairs = pairs.stream().filter(Pair::changed).toList();
            int unchanged = pairs.size() - changedPairs.size();

            // The common direction: the top eigenvector of sum over changed writers of dW dW^T, each writer's
            // Gram taken as its computed top eigenpairs (exact for deltas of rank up to DeltaAnalyzer.SUBSPACE).
            List<Pair> edited = changedPairs.stream().filter(p -> isEditedWriter(p)).toList();
            DiffReport.RecoveredDirection recovered = recover(edited, hidden);
            double[] common = recovered == null ? null : recovered.unit();

            Optional<RefusalDirection> direction = request.direction().map(s ->
                    RefusalDirection.of(DirectionFiles.read(s), hidden, layers));
            List<DiffReport.DirectionCosine> directionCosines = new ArrayList<>();
            Double cosine = null;
            if (direction.isPresent() && common != null) {
                double[][] rows = direction.get().unitPerLayer();
                for (int l = 0; l < rows.length; l++) {
                    double c = absCos(rows[l], common);
                    directionCosines.add(new DiffReport.DirectionCosine(rows.length == 1 ? -1 : l, c));
                    cosine = cosine == null ? c : Math.max(cosine, c);
                }
            }
            List<DiffReport.CandidateCosine> candidateCosines = new ArrayList<>();
            if (request.candidates().isPresent() && common != null) {
                CandidateDirections cands = CandidatesFile.read(request.candidates().get(), layers, hidden);
                for (int p = -cands.positions(); p <= -1; p++) {
                    for (int l = 0; l < cands.layers(); l++) {
                        candidateCosines.add(new DiffReport.CandidateCosine(p, l, absCos(cands.direction(p, l), common)));
                    }
                }
                candidateCosines.sort(Comparator.comparingDouble((DiffReport.CandidateCosine c) -> -c.cosine())
                        .thenComparingInt(DiffReport.CandidateCosine::position).thenComparingInt(DiffReport.CandidateCosine::layer));
            }

            List<DiffReport.ChangedTensor> changed = new ArrayList<>();
            List<String> rank1 = new ArrayList<>(), normPreserving = new ArrayList<>();
            List<DiffReport.Deviation> deviating = new ArrayList<>();
            for (Pair p : changedPairs) {
                DeltaAnalysis a = p.result() == null ? null : p.result().analysis();
                Double withCommon = null, withDirection = null;
                if (isEditedWriter(p) && common != null) {
                    withCommon = absCos(p.result().topDirection(), common);
                    if (withCommon < request.alignedThreshold()) {
                        deviating.add(new DiffReport.Deviation(p.before().info().name(), p.role().layer(), withCommon));
                    }
                }
                if (isEditedWriter(p) && direction.isPresent()) {
                    RefusalDirection d = direction.get();
                    double[] row = p.role().layer() >= 0 && p.role().layer() < layers ? d.forLayer(p.role().layer()) : d.forEmbedding();
                    withDirection = absCos(p.result().topDirection(), row);
                }
                if (a != null && a.effectiveRank() != null && a.effectiveRank() == 1) rank1.add(p.before().info().name());
                if (a != null && a.normPreserving()) normPreserving.add(p.before().info().name());
                TensorInfo b = p.before().info(), o = p.after().info();
                changed.add(new DiffReport.ChangedTensor(b.name(), p.role().role().name(), p.role().layer(), p.role().writer(),
                        b.dtype().name(), o.dtype().name(), b.shape(), o.shape(), p.note(), a, withCommon, withDirection));
            }
            DiffReport draft = new DiffReport(original.directory().toString(), other.directory().toString(), spec.name(),
                    hidden, layers, unchanged, added, missing, changed, writers, recovered, cosine, directionCosines,
                    candidateCosines, rank1, normPreserving, deviating, "");
            return withVerdict(draft, Verdict.of(draft, request.alignedThreshold(), roles));
        }
    }

    private static DiffReport withVerdict(DiffReport r, String verdict) {
        return new DiffReport(r.original(), r.other(), r.arch(), r.hidden(), r.layers(), r.unchanged(), r.added(), r.missing(),
                r.changed(), r.residualWriters(), r.recoveredDirection(), r.cosine(), r.directionCosines(),
                r.candidateCosines(), r.rank1Tensors(), r.normPreservingTensors(), r.deviating(), verdict);
    }

    /** A changed residual writer with a delta beyond the rounding of its dtype, analyzed in the hidden space. */
    private static boolean isEditedWriter(Pair p) {
        return p.role().writer() && p.result() != null && p.result().topDirection() != null
                && "hidden".equals(p.result().analysis().space())
                && !Integer.valueOf(0).equals(p.result().analysis().effectiveRank());
    }

    private static DiffReport.RecoveredDirection recover(List<Pair> edited, int hidden) {
        if (edited.isEmpty()) return null;
        double total = 0;
        for (Pair p : edited) total += p.result().energy();
        SubspaceIteration.Operator sum = (x, k) -> {
            double[] y = new double[hidden * k];
            for (Pair p : edited) {
                SubspaceIteration.Result s = p.result().spectrum();
                int kw = s.k();
                double[] u = s.vectors(), lambda = s.values();
                // y += U diag(lambda) U^T x
                double[] t = new double[kw * k];
                for (int i = 0; i < hidden; i++) {
                    for (int a = 0; a < kw; a++) {
                        double uia = u[i * kw + a];
                        for (int c = 0; c < k; c++) t[a * k + c] += uia * x[i * k + c];
                    }
                }
                for (int a = 0; a < kw; a++) for (int c = 0; c < k; c++) t[a * k + c] *= lambda[a];
                for (int i = 0; i < hidden; i++) {
                    for (int a = 0; a < kw; a++) {
                        double uia = u[i * kw + a];
                        for (int c = 0; c < k; c++) y[i * k + c] += uia * t[a * k + c];
                    }
                }
            }
            return y;
        };
        SubspaceIteration.Result r = SubspaceIteration.top(sum, hidden, COMMON_SUBSPACE, 2, 200, () -> 0);
        double next = r.k() > 1 ? r.values()[1] / total : 0;
        return new DiffReport.RecoveredDirection(r.vector(0), Math.min(1, r.values()[0] / total), next, edited.size());
    }

    private static List<Pair> compareAll(List<TensorRef[]> matched, ArchSpec spec, int hidden, int threads) {
        if (threads == 1) return matched.stream().map(m -> compare(m[0], m[1], spec, hidden)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ortho-diff");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Pair>> futures = new ArrayList<>();
            for (TensorRef[] m : matched) futures.add(pool.submit(() -> compare(m[0], m[1], spec, hidden)));
            List<Pair> out = new ArrayList<>();
            for (Future<Pair> f : futures) out.add(f.get());
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Compares one pair byte for byte and audits its delta when it differs. */
    private static Pair compare(TensorRef before, TensorRef after, ArchSpec spec, int hidden) {
        TensorInfo b = before.info(), o = after.info();
        TensorRole role = spec.classify(b.name());
        if (!b.shape().equals(o.shape())) {
            return new Pair(before, after, role, true, "shape changed from " + b.shape() + " to " + o.shape(), null);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = before.file().mapTensor(b, arena), y = after.file().mapTensor(o, arena);
            if (b.dtype() == o.dtype() && (b.byteLength() == 0 || x.mismatch(y) == -1)) {
                return new Pair(before, after, role, false, null, null);
            }
            if (!b.dtype().editable() || !o.dtype().editable()) {
                return new Pair(before, after, role, true, b.dtype() == o.dtype() ? "bytes differ (not a float tensor: no numeric audit)"
                        : "dtype changed from " + b.dtype() + " to " + o.dtype() + " (not both float types: no numeric audit)", null);
            }
            if (b.elementCount() == 0) return new Pair(before, after, role, true, "dtype changed (no elements)", null);
            Space space = space(role, b.shapeArray(), hidden);
            LOG.debug("auditing {} as {} vectors of {} ({})", b.name(), space.vectors().count(), space.vectors().dim(), space.name());
            DeltaAnalyzer.Result r = new DeltaAnalyzer(space.vectors(), x, b.dtype(), y, o.dtype()).analyze(space.name());
            String note = b.dtype() != o.dtype() ? "dtype changed from " + b.dtype() + " to " + o.dtype() : null;
            if (r.analysis().singularValues().isEmpty() && r.analysis().deltaNorm() != 0) {
                note = (note == null ? "" : note + "; ") + "non-finite values in the delta: no spectrum";
            } else if (r.analysis().deltaNorm() == 0) {
                note = (note == null ? "" : note + "; ") + "equal values, different bytes (e.g. -0.0 or NaN payloads)";
            }
            return new Pair(before, after, role, true, note, r);
        }
    }

    private record Space(String name, HiddenVectors vectors) {}

    /**
     * Writers are read as their write vectors in the hidden space; any other tensor along an axis of the hidden
     * size when it has one (a reader's rows or columns), else along its last axis.
     */
    private static Space space(TensorRole role, long[] shape, int hidden) {
        if (role.writer()) {
            Optional<ProjectionLayout> l = ProjectionLayout.of(role.layout(), shape, hidden);
            if (l.isPresent()) return new Space("hidden", HiddenVectors.of(l.get(), shape));
        }
        int n = shape.length;
        if (n >= 1 && shape[n - 1] == hidden) return new Space("hidden (reader rows)", HiddenVectors.of(ProjectionLayout.ROWS, shape));
        if (n >= 2 && shape[n - 2] == hidden) return new Space("hidden (reader columns)", HiddenVectors.of(ProjectionLayout.COLUMNS, shape));
        return new Space("last axis", HiddenVectors.of(ProjectionLayout.ROWS, shape));
    }

    private static DiffReport.Tensor tensor(TensorInfo t, TensorRole role) {
        return new DiffReport.Tensor(t.name(), role.role().name(), role.layer(), t.dtype().name(), t.shape());
    }

    static double absCos(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return aa > 0 && bb > 0 ? Math.min(1, Math.abs(ab) / Math.sqrt(aa * bb)) : 0;
    }

    static boolean isRole(DiffReport.Tensor t, Role role) { return t.role().equals(role.name()); }
}
