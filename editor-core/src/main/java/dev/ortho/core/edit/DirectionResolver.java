package dev.ortho.core.edit;

import dev.ortho.core.direction.DirectionFiles;
import dev.ortho.core.direction.RawTensor;
import dev.ortho.core.direction.RefusalDirection;
import dev.ortho.core.provenance.DirectionRecord;
import dev.ortho.core.provenance.DirectionSourceRecord;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@link DirectionRequest} into the orthonormal basis of every layer (EDIT-MATH.md) and the
 * manifest's record of it.
 *
 * <ul>
 *   <li>A plain file is read and normalized by {@link RefusalDirection} (k = 1 without biprojection:
 *       exactly the vectors the paper's edit always used).</li>
 *   <li>A fractional index {@code 12.4@-1} reads the candidates file's {@code mean_diffs} at position -1,
 *       normalizes the candidates of layers 12 and 13, interpolates (0.6·r̂₁₂ + 0.4·r̂₁₃, as Heretic
 *       does) and renormalizes.</li>
 *   <li>{@code --biproject} makes the basis per-layer: direction r at layer l becomes r − (r·m̂_l) m̂_l with
 *       m̂_l the normalized harmless mean of layer l at position -1 (the candidates file's
 *       {@code harmless_means}, written by {@code ortho extract}).</li>
 *   <li>k &gt; 1 directions are orthonormalized per layer by {@link EditBasis#orthonormalize}; with k = 1
 *       a biprojected direction is normalized.</li>
 * </ul>
 */
public final class DirectionResolver {

    /** Tensor of a candidates file holding the harmless means (see {@code CandidatesFile}). */
    public static final String HARMLESS_MEANS = "harmless_means";
    public static final String MEAN_DIFFS = "mean_diffs";

    private DirectionResolver() {}

    public record Resolved(EditBasis basis, DirectionRecord record) {}

    public static Resolved resolve(DirectionRequest req, int hidden, int numLayers) {
        List<List<double[]>> perSource = new ArrayList<>();   // each: 1 global row or numLayers rows
        List<DirectionSourceRecord> sources = new ArrayList<>();
        List<Double> norms = new ArrayList<>();
        boolean renormalized = false;
        RawTensor first = null;
        for (int i = 0; i < req.directions().size(); i++) {
            String spec = req.directions().get(i);
            String index = req.indexOf(i);
            String[] fileAndTensor = DirectionFiles.splitSpec(spec);
            if (index == null) {
                RawTensor raw = DirectionFiles.read(spec);
                RefusalDirection d = RefusalDirection.of(raw, hidden, numLayers);
                perSource.add(List.of(d.unitPerLayer()));
                for (double n : d.originalNorms()) norms.add(n);
                renormalized |= d.renormalized();
                if (first == null) first = raw;
                sources.add(new DirectionSourceRecord(fileAndTensor[0], fileAndTensor[1], sha256(fileAndTensor[0]), null, null));
            } else {
                Index ix = Index.parse(index);
                String file = fileAndTensor[0];
                RawTensor table = DirectionFiles.read(file + ":" + MEAN_DIFFS);
                double[] r = interpolate(table, ix, hidden, numLayers);
                perSource.add(List.<double[]>of(r));
                norms.add(1.0);
                renormalized = true;
                if (first == null) first = table;
                sources.add(new DirectionSourceRecord(file, MEAN_DIFFS, sha256(file), index, ix.position()));
            }
        }
        double[][] harmless = req.biproject() == null ? null : harmlessMeans(Path.of(req.biproject()), hidden, numLayers);
        EditBasis basis = combine(perSource, harmless, hidden, numLayers);
        boolean perLayer = basis.isPerLayer();
        DirectionSourceRecord bi = req.biproject() == null ? null
                : new DirectionSourceRecord(req.biproject(), HARMLESS_MEANS, sha256(req.biproject()), null, -1);
        DirectionSourceRecord head = sources.getFirst();
        DirectionRecord record = new DirectionRecord(head.file(), head.tensor(), head.sha256(), first.storedDtype().name(),
                Arrays.stream(first.shape()).boxed().toList(), perLayer, norms, renormalized, basis.perLayer(),
                sources, bi);
        return new Resolved(basis, record);
    }

    /**
     * The basis from directions already in memory (what {@link #resolve} does after reading files; for
     * callers such as a search that hold candidates): each source is one global vector or one per layer
     * (a plain direction already normalized by {@link RefusalDirection}); with {@code harmlessUnitMeans}
     * ([layer][hidden], unit) every direction is biprojected per layer and the basis is per layer.
     * k = 1 keeps the vector as given unless biprojected (then normalized); k &gt; 1 is orthonormalized.
     */
    public static EditBasis combine(List<List<double[]>> perSource, double[][] harmlessUnitMeans, int hidden, int numLayers) {
        boolean perLayer = harmlessUnitMeans != null || perSource.stream().anyMatch(s -> s.size() > 1);
        int entries = perLayer ? numLayers : 1;
        int k = perSource.size();
        List<List<double[]>> bases = new ArrayList<>();
        for (int l = 0; l < entries; l++) {
            List<double[]> raw = new ArrayList<>();
            for (List<double[]> s : perSource) raw.add(s.size() == 1 ? s.getFirst() : s.get(l));
            if (harmlessUnitMeans != null) raw = biproject(raw, harmlessUnitMeans[l]);
            if (k == 1) {
                bases.add(List.of(harmlessUnitMeans == null ? raw.getFirst() : normalized(raw.getFirst(), "biprojected direction of layer " + l)));
            } else {
                bases.add(EditBasis.orthonormalize(raw, perLayer ? "--direction (layer " + l + ")" : "--direction"));
            }
        }
        return new EditBasis(hidden, bases);
    }

    /**
     * The direction at fractional layer {@code layer} and {@code position} of candidates in memory
     * ([n_eoi, L, hidden], C order): as {@code --direction-index}.
     */
    public static double[] interpolate(double[] candidates, int positions, double layer, int position, int hidden, int numLayers) {
        RawTensor t = new RawTensor(Path.of("<memory>"), MEAN_DIFFS, dev.ortho.formats.safetensors.DType.F64,
                new long[]{positions, numLayers, hidden}, candidates);
        return interpolate(t, new Index(layer, position), hidden, numLayers);
    }

    /** {@code LAYER[@POS]}: a (fractional) layer and a post-instruction position (default -1). */
    record Index(double layer, int position) {
        static Index parse(String text) {
            String t = text.strip();
            int at = t.indexOf('@');
            try {
                double layer = Double.parseDouble(at < 0 ? t : t.substring(0, at));
                int pos = at < 0 ? -1 : Integer.parseInt(t.substring(at + 1));
                if (!Double.isFinite(layer) || layer < 0) throw new NumberFormatException();
                return new Index(layer, pos);
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--direction-index '" + text + "' is not LAYER[@POS], e.g. 12.4 or 12.4@-1");
            }
        }
    }

    /** Layer ⌊x⌋ and ⌊x⌋+1 candidates, each normalized, mixed linearly and renormalized. */
    private static double[] interpolate(RawTensor table, Index ix, int hidden, int numLayers) {
        int positions = checkTable(table, hidden, numLayers);
        if (ix.position() < -positions || ix.position() > -1) {
            throw new InvalidInputException(table.source(), table.name(), "--direction-index position " + ix.position()
                    + " is outside -" + positions + "..-1");
        }
        if (ix.layer() > numLayers - 1) {
            throw new InvalidInputException(table.source(), table.name(), "--direction-index layer " + ix.layer()
                    + " is outside 0.." + (numLayers - 1));
        }
        int lo = (int) Math.floor(ix.layer());
        double f = ix.layer() - lo;
        double[] a = normalized(row(table, positions, ix.position(), lo, hidden, numLayers), "candidate of layer " + lo);
        if (f == 0) return a;
        double[] b = normalized(row(table, positions, ix.position(), lo + 1, hidden, numLayers), "candidate of layer " + (lo + 1));
        double[] r = new double[hidden];
        for (int h = 0; h < hidden; h++) r[h] = (1 - f) * a[h] + f * b[h];
        return normalized(r, "interpolated direction at layer " + ix.layer());
    }

    private static int checkTable(RawTensor t, int hidden, int numLayers) {
        long[] s = t.shape();
        if (s.length != 3 || s[1] != numLayers || s[2] != hidden) {
            throw new InvalidInputException(t.source(), t.name(), "has shape " + Arrays.toString(s) + "; expected [n_eoi, "
                    + numLayers + ", " + hidden + "] (a candidates file from ortho extract)");
        }
        return (int) s[0];
    }

    private static double[] row(RawTensor t, int positions, int position, int layer, int hidden, int numLayers) {
        int off = ((position + positions) * numLayers + layer) * hidden;
        return Arrays.copyOfRange(t.values(), off, off + hidden);
    }

    /** Per layer, the normalized harmless mean at the last position, from a candidates file. */
    public static double[][] harmlessMeans(Path file, int hidden, int numLayers) {
        RawTensor t;
        try {
            t = DirectionFiles.read(file + ":" + HARMLESS_MEANS);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file, HARMLESS_MEANS, "--biproject needs the harmless means that ortho extract"
                    + " stores in its candidates file (re-run extract to get them): " + e.getMessage(), e);
        }
        int positions = checkTable(t, hidden, numLayers);
        double[][] m = new double[numLayers][];
        for (int l = 0; l < numLayers; l++) m[l] = normalized(row(t, positions, -1, l, hidden, numLayers), "harmless mean of layer " + l);
        return m;
    }

    /** Each r minus its component along the unit m. */
    static List<double[]> biproject(List<double[]> raw, double[] m) {
        List<double[]> out = new ArrayList<>();
        for (double[] r : raw) {
            double c = EditBasis.dot(r, m);
            double[] v = new double[r.length];
            for (int h = 0; h < r.length; h++) v[h] = r[h] - c * m[h];
            out.add(v);
        }
        return out;
    }

    static double[] normalized(double[] v, String what) {
        double n = EditBasis.norm(v);
        if (!(n > 1e-30) || !Double.isFinite(n)) throw new InvalidInputException(what + " has norm " + n + "; it has no direction");
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / n;
        return out;
    }

    private static String sha256(String file) { return Sha256Hex.ofFile(Path.of(file)); }
}
