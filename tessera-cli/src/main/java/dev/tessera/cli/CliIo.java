package dev.tessera.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Strict UTF-8 input and UTF-8 output for the text-handling commands, independent of the platform locale. */
final class CliIo {
    static final ObjectMapper JSON = new ObjectMapper();

    private CliIo() {}

    /** Reads a file as UTF-8, failing with the byte offset of the first invalid sequence. */
    static String readFile(Path p) {
        try {
            return decodeStrict(Files.readAllBytes(p), p.toString());
        } catch (NoSuchFileException e) {
            throw new TesseraException.InvalidInput("File not found: " + p);
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("Cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static String readStdin() {
        try {
            InputStream in = System.in;
            return decodeStrict(in.readAllBytes(), "standard input");
        } catch (IOException e) {
            throw new TesseraException.InvalidInput("Cannot read standard input: " + e.getMessage(), e);
        }
    }

    static String decodeStrict(byte[] bytes, String what) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        var result = dec.decode(in, out, true);
        if (result.isError()) {
            throw new TesseraException.InvalidInput(what + " is not valid UTF-8: invalid byte sequence at byte offset "
                    + in.position() + " (0x" + String.format("%02X", bytes[in.position()]) + "). Convert the text to"
                    + " UTF-8 first, e.g. with iconv.");
        }
        try {
            dec.flush(out);
        } catch (RuntimeException e) {
            throw new TesseraException.InvalidInput(what + " is not valid UTF-8", e);
        }
        out.flip();
        String s = out.toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s; // a UTF-8 BOM is not text
    }

    /** Writes text as UTF-8 bytes to standard output (System.out's own charset follows the locale). */
    static void print(String s) {
        try {
            System.out.write(s.getBytes(StandardCharsets.UTF_8));
            System.out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void println(String s) {
        print(s + "\n");
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
