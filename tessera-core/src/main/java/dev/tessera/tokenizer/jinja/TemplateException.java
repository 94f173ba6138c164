package dev.tessera.tokenizer.jinja;

/** A template syntax or evaluation error, with the template line when known. */
public class TemplateException extends RuntimeException {
    public TemplateException(String message, int line) {
        super(line > 0 ? "line " + line + ": " + message : message);
    }

    public TemplateException(String message) {
        super(message);
    }

    /** Raised by the template itself through {@code raise_exception(message)}. */
    public static final class Raised extends TemplateException {
        public Raised(String message) {
            super(message);
        }
    }
}
