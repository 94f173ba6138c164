package dev.tessera.tokenizer.jinja;

import java.util.List;
import java.util.Map;

/**
 * A Jinja2 template as Hugging Face chat templates need it, evaluated with Python semantics and transformers'
 * environment: {@code trim_blocks}, {@code lstrip_blocks}, loop controls, {@code tojson} like
 * {@code json.dumps(ensure_ascii=False)}, {@code raise_exception}, {@code namespace}, Python string methods,
 * slicing (including {@code [::-1]}). Immutable; {@link #render} may be called from several threads.
 */
public final class JinjaTemplate {
    private final List<Node.Stmt> body;

    private JinjaTemplate(List<Node.Stmt> body) {
        this.body = body;
    }

    /** Parses a template; throws {@link TemplateException} with the line of a syntax error. */
    public static JinjaTemplate parse(String source) {
        return new JinjaTemplate(Parser.parse(source));
    }

    /** Renders with the given variables (Java maps/lists/strings/numbers/booleans/null). */
    public String render(Map<String, Object> context) {
        return new Interpreter(context).render(body);
    }
}
