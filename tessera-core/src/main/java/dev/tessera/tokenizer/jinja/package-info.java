/**
 * A Jinja2 interpreter with Python semantics for chat templates: Jinja2's lexer rules (with transformers'
 * {@code trim_blocks}/{@code lstrip_blocks}), precedence and scoping, Python printing of values, Python string and
 * dict methods, slicing, and {@code json.dumps}-compatible {@code tojson}. Entry point:
 * {@link dev.tessera.tokenizer.jinja.JinjaTemplate}.
 */
package dev.tessera.tokenizer.jinja;
