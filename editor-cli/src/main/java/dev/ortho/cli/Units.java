package dev.ortho.cli;

import java.util.Locale;

/** Human-readable sizes for the CLI. */
final class Units {

    private Units() {}

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        do { v /= 1024; i++; } while (v >= 1024 && i < u.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }

    static String count(long n) {
        if (n >= 1_000_000_000) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        if (n >= 1_000) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }
}
