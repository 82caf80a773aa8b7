package dev.ortho.core.audit;

import dev.ortho.core.arch.Role;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The one-line summary of a {@link DiffReport}, e.g. "rank-1 orthogonalization along one direction of 42 of 43
 * residual writers (layers 0-31), embedding untouched, lm_head missing".
 */
final class Verdict {

    private Verdict() {}

    static String of(DiffReport r, double threshold, java.util.Set<String> originalRoles) {
        List<String> parts = new ArrayList<>();
        List<DiffReport.ChangedTensor> edited = r.changed().stream().filter(Verdict::editedWriter).toList();
        if (r.changed().isEmpty() && r.added().isEmpty() && r.missing().isEmpty()) {
            return "identical: all " + r.unchanged() + " tensors unchanged";
        }
        if (!edited.isEmpty()) parts.add(writers(r, edited, threshold));
        else parts.add("no residual writer edited");

        parts.add("embedding " + state(r, Role.EMBEDDING, edited, originalRoles));
        String head = state(r, Role.LM_HEAD, edited, originalRoles);
        if (!head.equals("untouched") && !head.equals("absent")) parts.add("lm_head " + head);

        long roundingOnly = r.changed().stream().filter(c -> c.writer() && c.analysis() != null
                && Integer.valueOf(0).equals(c.analysis().effectiveRank()) && c.analysis().deltaNorm() > 0).count();
        if (roundingOnly > 0) parts.add(roundingOnly + " writer" + plural(roundingOnly) + " changed within rounding only");
        long others = r.changed().stream().filter(c -> !c.writer() && !c.role().equals(Role.LM_HEAD.name())).count();
        if (others > 0) parts.add(others + " other tensor" + plural(others) + " changed");
        long dtypes = r.changed().stream().filter(DiffReport.ChangedTensor::dtypeChanged).count();
        if (dtypes > 0) parts.add("dtype changed on " + dtypes);
        long shapes = r.changed().stream().filter(DiffReport.ChangedTensor::shapeChanged).count();
        if (shapes > 0) parts.add("shape changed on " + shapes);
        long added = r.added().stream().filter(t -> !t.role().equals(Role.LM_HEAD.name())).count();
        if (added > 0) parts.add(added + " tensor" + plural(added) + " added");
        long missing = r.missing().stream().filter(t -> !t.role().equals(Role.LM_HEAD.name())
                && !t.role().equals(Role.EMBEDDING.name())).count();
        if (missing > 0) parts.add(missing + " tensor" + plural(missing) + " missing");
        return String.join(", ", parts);
    }

    private static String writers(DiffReport r, List<DiffReport.ChangedTensor> edited, double threshold) {
        List<DiffReport.ChangedTensor> aligned = edited.stream()
                .filter(c -> c.cosineWithCommon() != null && c.cosineWithCommon() >= threshold).toList();
        long plain = aligned.stream().filter(c -> c.analysis().projection() != null && c.analysis().projection().projection()).count();
        long normPreserving = aligned.stream().filter(c -> c.analysis().normPreserving()
                && !(c.analysis().projection() != null && c.analysis().projection().projection())).count();
        long other = edited.size() - plain - normPreserving;
        String of = " of " + r.residualWriters() + " residual writers" + layers(edited);
        StringBuilder s = new StringBuilder();
        if (other == 0 && normPreserving == 0) {
            s.append("rank-1 orthogonalization along one direction of ").append(plain).append(of);
        } else if (other == 0 && plain == 0) {
            s.append("norm-preserving orthogonalization along one direction of ").append(normPreserving).append(of);
        } else if (other == 0) {
            s.append("orthogonalization along one direction of ").append(plain + normPreserving).append(of)
                    .append(": ").append(plain).append(" rank-1, ").append(normPreserving).append(" norm-preserving");
        } else {
            Integer maxRank = 0;
            for (DiffReport.ChangedTensor c : edited) {
                Integer k = c.analysis().effectiveRank();
                if (k == null || (maxRank != null && k > maxRank)) maxRank = k;
                if (maxRank == null) break;
            }
            s.append("changes to ").append(edited.size()).append(of).append(": ");
            List<String> kinds = new ArrayList<>();
            if (plain > 0) kinds.add(plain + " rank-1 projection" + plural(plain) + " along the common direction");
            if (normPreserving > 0) kinds.add(normPreserving + " norm-preserving");
            kinds.add(other + " other" + (maxRank == null ? " (effective rank above " + DeltaAnalyzer.SUBSPACE + ")"
                    : " (effective rank up to " + maxRank + ")"));
            s.append(String.join(", ", kinds));
        }
        double alpha = commonAlpha(aligned);
        if (!Double.isNaN(alpha) && Math.abs(alpha - 1) > 1e-3) s.append(String.format(Locale.ROOT, ", alpha %.4g", alpha));
        if (!r.deviating().isEmpty()) s.append(", ").append(r.deviating().size()).append(" deviating from the common direction");
        return s.toString();
    }

    /** The fitted alpha when every aligned projection agrees on it within 1e-3; NaN otherwise. */
    private static double commonAlpha(List<DiffReport.ChangedTensor> aligned) {
        double alpha = Double.NaN;
        for (DiffReport.ChangedTensor c : aligned) {
            if (c.analysis().projection() == null || !c.analysis().projection().projection()) continue;
            double a = c.analysis().projection().alpha();
            if (Double.isNaN(alpha)) alpha = a;
            else if (Math.abs(a - alpha) > 1e-3 * Math.max(1, Math.abs(alpha))) return Double.NaN;
        }
        return alpha;
    }

    private static String state(DiffReport r, Role role, List<DiffReport.ChangedTensor> edited, java.util.Set<String> originalRoles) {
        String name = role.name();
        if (r.missing().stream().anyMatch(t -> t.role().equals(name))) return "missing";
        if (r.added().stream().anyMatch(t -> t.role().equals(name))) return "added";
        if (edited.stream().anyMatch(c -> c.role().equals(name))) return "edited";
        if (r.changed().stream().anyMatch(c -> c.role().equals(name))) return "changed";
        return originalRoles.contains(name) ? "untouched" : "absent";
    }

    private static String layers(List<DiffReport.ChangedTensor> edited) {
        TreeSet<Integer> ls = new TreeSet<>();
        for (DiffReport.ChangedTensor c : edited) if (c.layer() >= 0) ls.add(c.layer());
        if (ls.isEmpty()) return "";
        List<String> ranges = new ArrayList<>();
        Integer start = null, prev = null;
        for (int l : ls) {
            if (start == null) start = l;
            else if (l != prev + 1) {
                ranges.add(start.equals(prev) ? "" + start : start + "-" + prev);
                start = l;
            }
            prev = l;
        }
        ranges.add(start.equals(prev) ? "" + start : start + "-" + prev);
        return " (layer" + (ls.size() == 1 ? " " : "s ") + String.join(",", ranges) + ")";
    }

    static boolean editedWriter(DiffReport.ChangedTensor c) {
        return c.writer() && c.analysis() != null && "hidden".equals(c.analysis().space())
                && !c.analysis().singularValues().isEmpty() && !Integer.valueOf(0).equals(c.analysis().effectiveRank());
    }

    private static String plural(long n) { return n == 1 ? "" : "s"; }
}
