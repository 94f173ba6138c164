package dev.tessera.tokenizer;

/**
 * The GPT-2 "bytes to unicode" table used by byte-level BPE: every byte value gets a printable code point so that
 * a byte string can be stored in a JSON vocabulary. Printable Latin-1 bytes map to themselves; the others are
 * shifted to U+0100 and up in byte order.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by code point (all mapped chars are below U+0144); -1 where the char is not a byte char. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** Maps the UTF-8 bytes of {@code s} to their byte-level characters. */
    static String encode(String s) {
        int n = s.length();
        int ascii = 0;
        while (ascii < n && s.charAt(ascii) < 0x80) ascii++;
        if (ascii == n) { // ASCII: one char per byte, no UTF-8 round trip
            char[] out = new char[n];
            for (int k = 0; k < n; k++) out[k] = BYTE_TO_CHAR[s.charAt(k)];
            return new String(out);
        }
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The byte of a byte-level char, or -1 if {@code c} is not one. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
