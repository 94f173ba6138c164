package dev.tessera;

/**
 * The one unchecked exception family of Tessera. Messages are meant for the user: what went wrong, where
 * (file, tensor, key), and when possible what to do about it.
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) {
        super(message);
    }

    public TesseraException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Bad input from the user or a file: a malformed checkpoint, a wrong config, an invalid prompt. */
    public static class InvalidInput extends TesseraException {
        public InvalidInput(String message) {
            super(message);
        }

        public InvalidInput(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A prompt (or prompt plus what a session already holds) longer than the model's context. */
    public static class ContextOverflow extends InvalidInput {
        public ContextOverflow(String message) {
            super(message);
        }
    }

    /** Something valid that Tessera does not implement (an architecture, a RoPE variant, a dtype). */
    public static class Unsupported extends TesseraException {
        public Unsupported(String message) {
            super(message);
        }
    }
}
