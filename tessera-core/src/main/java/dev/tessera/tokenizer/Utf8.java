package dev.tessera.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * UTF-8 helpers with Rust's semantics. {@link #decodeLossy} follows {@code String::from_utf8_lossy}: each maximal
 * invalid subpart becomes one U+FFFD (the Unicode "substitution of maximal subparts" practice), so decoded text is
 * identical to what the Rust tokenizers library returns for the same bytes.
 */
final class Utf8 {
    private Utf8() {}

    static String decodeLossy(byte[] b, int len) {
        StringBuilder sb = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80, hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= len) {
                    ok = false;
                    break;
                }
                int bk = b[j] & 0xFF;
                int min = k == 0 ? lo : 0x80, max = k == 0 ? hi : 0xBF;
                if (bk < min || bk > max) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
            }
            if (ok) {
                sb.appendCodePoint(cp);
                i = j;
            } else {
                // the valid prefix [i, j) is one maximal subpart: one replacement char for all of it
                sb.append('\uFFFD');
                i = j;
            }
        }
        return sb.toString();
    }

    /** True if {@code b[0..len)} is well-formed UTF-8. */
    static boolean isValid(byte[] b, int len) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b, 0, len));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** Replaces unpaired UTF-16 surrogates by U+FFFD (a Java String can hold them; UTF-8 text cannot). */
    static String replaceLoneSurrogates(String s) {
        int n = s.length();
        StringBuilder sb = null;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean bad = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    if (sb != null) sb.append(c).append(s.charAt(i + 1));
                    i++;
                    continue;
                }
                bad = true;
            } else if (Character.isLowSurrogate(c)) {
                bad = true;
            }
            if (bad && sb == null) {
                sb = new StringBuilder(n).append(s, 0, i);
            }
            if (sb != null) sb.append(bad ? '\uFFFD' : c);
        }
        return sb == null ? s : sb.toString();
    }

    /** A growable byte buffer whose array can be read without copying. */
    static final class Bytes extends ByteArrayOutputStream {
        byte[] buf() {
            return buf;
        }
    }
}
