package dev.tessera.cli;

import java.util.Locale;

/** Human-readable sizes in decimal units (GB = 10^9 bytes, as disk sizes and bandwidths are quoted). */
final class Sizes {
    private Sizes() {}

    static String bytes(long b) {
        if (b < 0) {
            return "?";
        }
        if (b < 1000) {
            return b + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = b;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }
}
