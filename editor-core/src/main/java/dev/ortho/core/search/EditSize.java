package dev.ortho.core.search;

import dev.ortho.core.arch.ArchChoice;
import dev.ortho.core.edit.EditOptions;
import dev.ortho.core.edit.EditPlan;
import dev.ortho.core.edit.EditPlanner;
import dev.ortho.core.edit.EditRecipe;
import dev.ortho.core.edit.ElementCodec;
import dev.ortho.core.edit.LoadedModel;
import dev.ortho.core.edit.PlannedTensor;
import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.core.edit.TiedPolicy;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How big an edit is, the three ways the fragility report counts it: the number of writer tensors it changes,
 * Σ‖ΔW‖/‖W‖ over them (α is inside ΔW), and its rank k (directions removed per layer).
 *
 * <p>‖ΔW‖ is computed here in plain float64 from the stored values and the planned basis, strength and norm rule
 * of each tensor (EDIT-MATH.md), before rounding to the stored dtype: the size of the change asked for, not of its
 * rounding.
 *
 * @param tensors        writer tensors with a non-zero strength
 * @param relativeChange Σ over those tensors of ‖W' − W‖_F / ‖W‖_F
 * @param rank           k
 */
public record EditSize(int tensors, double relativeChange, int rank) {

    /** Counts only (no weights read): the plan of the recipe on the model's tensor list. */
    public static int tensorsEdited(Path model, ArchChoice arch, EditRecipe recipe) {
        try (LoadedModel m = LoadedModel.open(model, arch.name(), arch.specFile())) {
            return (int) plan(m, recipe).edits().stream().filter(t -> t.alpha() != 0).count();
        }
    }

    /** The full measure: reads every edited writer once. */
    public static EditSize of(Path model, ArchChoice arch, EditRecipe recipe) {
        try (LoadedModel m = LoadedModel.open(model, arch.name(), arch.specFile())) {
            int n = 0;
            double sum = 0;
            for (PlannedTensor t : plan(m, recipe).edits()) {
                if (t.alpha() == 0) continue;
                n++;
                sum += relativeChange(m.shard(t.file()).data(t.source()), t);
            }
            return new EditSize(n, sum, recipe.basis().k());
        }
    }

    private static EditPlan plan(LoadedModel m, EditRecipe recipe) {
        EditOptions o = new EditOptions(recipe.alpha(), recipe.layers(), recipe.components(), TiedPolicy.UNTIE, true, 1, false,
                recipe.normPreserving(), recipe.kernels());
        return EditPlanner.plan(m.spec(), m.facts(), m.sourceTensors(), t -> m.shard(t.file()).data(t.info()), recipe, o);
    }

    /** ‖W' − W‖ / ‖W‖ of one planned tensor, write vector by write vector. */
    static double relativeChange(MemorySegment data, PlannedTensor t) {
        ElementCodec codec = ElementCodec.of(t.source().dtype());
        long[] shape = t.source().shapeArray();
        List<double[]> q = t.basis();
        int hidden = q.getFirst().length;
        long total = t.source().elementCount();
        double delta = 0, norm = 0;
        if (t.layout() == ProjectionLayout.ROWS) {
            double[] v = new double[hidden];
            for (long at = 0; at < total; at += hidden) {
                codec.decode(data, at, v, hidden);
                double[] d = change(v, q, t.alpha(), t.normPreserving());
                delta += d[0];
                norm += d[1];
            }
        } else {
            // [.., hidden, in]: write vectors are columns; read one matrix of the batch at a time, row by row.
            long in = shape[shape.length - 1];
            long matrices = total / (hidden * in);
            double[] row = new double[(int) in];
            double[][] cols = new double[(int) in][hidden];
            for (long b = 0; b < matrices; b++) {
                for (int h = 0; h < hidden; h++) {
                    codec.decode(data, (b * hidden + h) * in, row, (int) in);
                    for (int c = 0; c < in; c++) cols[c][h] = row[c];
                }
                for (double[] v : cols) {
                    double[] d = change(v, q, t.alpha(), t.normPreserving());
                    delta += d[0];
                    norm += d[1];
                }
            }
        }
        return norm == 0 ? 0 : Math.sqrt(delta / norm);
    }

    /** {‖v' − v‖², ‖v‖²} for one write vector. */
    private static double[] change(double[] v, List<double[]> q, double alpha, boolean normPreserving) {
        double[] u = v.clone();
        for (double[] qj : q) {
            double c = 0;
            for (int i = 0; i < v.length; i++) c += qj[i] * v[i];
            for (int i = 0; i < v.length; i++) u[i] -= alpha * c * qj[i];
        }
        double vv = 0, uu = 0;
        for (int i = 0; i < v.length; i++) {
            vv += v[i] * v[i];
            uu += u[i] * u[i];
        }
        if (normPreserving && uu > 0) {
            double s = Math.sqrt(vv / uu);
            for (int i = 0; i < u.length; i++) u[i] *= s;
        }
        double d = 0;
        for (int i = 0; i < v.length; i++) d += (u[i] - v[i]) * (u[i] - v[i]);
        return new double[]{d, vv};
    }
}
