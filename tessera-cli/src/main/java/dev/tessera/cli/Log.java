package dev.tessera.cli;

/** Messages for people go to stderr, so stdout stays a clean result that can be piped. */
final class Log {
    private Log() {}

    static void info(String format, Object... args) {
        System.err.println("tessera: " + String.format(java.util.Locale.ROOT, format, args));
    }
}
