package dev.ortho.core.verify;

import dev.ortho.core.edit.ProjectionLayout;
import dev.ortho.formats.safetensors.DType;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What is left along each direction of the basis in a stored (edited) tensor, for every write vector,
 * against the rounding bound of its dtype; plus its Frobenius norm. Needs no original.
 */
final class LeftoverCheck {

    private LeftoverCheck() {}

    /**
     * @param max        largest |q·y| over vectors and directions
     * @param worstRatio largest |q·y| / bound
     * @param nonZero    number of write vectors that are not all zero
     * @param frobenius  sqrt(Σ y²)
     */
    record Leftover(double max, double worstRatio, long nonZero, double frobenius) {}

    static Leftover measure(MemorySegment data, DType dtype, long[] shape, ExpectedEdit e) {
        List<double[]> q = e.basis();
        int k = q.size(), n = e.hidden();
        double[] defect = new double[k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double d = 0;
                for (int h = 0; h < n; h++) d += q.get(i)[h] * q.get(j)[h];
                defect[i] += i == j ? Math.abs(1 - d) : Math.abs(d);
            }
        }
        long count = data.byteSize() / dtype.byteSize();
        double max = 0, worst = 0, sumSq = 0;
        long nonZero = 0;
        if (e.layout() == ProjectionLayout.ROWS) {
            double[] y = new double[n];
            for (long row = 0; row < count / n; row++) {
                double sumAbsY = 0;
                for (int h = 0; h < n; h++) {
                    y[h] = ReferenceEdit.read(data, dtype, row * n + h);
                    sumAbsY += Math.abs(y[h]);
                    sumSq += y[h] * y[h];
                }
                if (sumAbsY != 0) nonZero++;
                for (int i = 0; i < k; i++) {
                    double dot = 0, sumAbs = 0;
                    for (int h = 0; h < n; h++) {
                        dot += q.get(i)[h] * y[h];
                        sumAbs += Math.abs(q.get(i)[h] * y[h]);
                    }
                    max = Math.max(max, Math.abs(dot));
                    worst = Math.max(worst, Math.abs(dot) / LeftoverBound.boundWithDefect(dtype, sumAbs, sumAbsY, defect[i]));
                }
            }
        } else {
            int cols = Math.toIntExact(shape[shape.length - 1]);
            long matrices = count / ((long) n * cols);
            for (long m = 0; m < matrices; m++) {
                double[][] dot = new double[k][cols], sumAbs = new double[k][cols];
                double[] sumAbsY = new double[cols];
                for (int h = 0; h < n; h++) {
                    for (int c = 0; c < cols; c++) {
                        double y = ReferenceEdit.read(data, dtype, (m * n + h) * cols + c);
                        sumAbsY[c] += Math.abs(y);
                        sumSq += y * y;
                        for (int i = 0; i < k; i++) {
                            dot[i][c] += q.get(i)[h] * y;
                            sumAbs[i][c] += Math.abs(q.get(i)[h] * y);
                        }
                    }
                }
                for (int c = 0; c < cols; c++) {
                    if (sumAbsY[c] != 0) nonZero++;
                    for (int i = 0; i < k; i++) {
                        max = Math.max(max, Math.abs(dot[i][c]));
                        worst = Math.max(worst, Math.abs(dot[i][c])
                                / LeftoverBound.boundWithDefect(dtype, sumAbs[i][c], sumAbsY[c], defect[i]));
                    }
                }
            }
        }
        return new Leftover(max, worst, nonZero, Math.sqrt(sumSq));
    }
}
