/**
 * Hugging Face tokenizers and chat templates in pure Java.
 *
 * <p>{@link dev.tessera.tokenizer.Tokenizer} reads {@code tokenizer.json} (BPE: byte-level and SentencePiece-style
 * with byte fallback) and encodes/decodes exactly like the Rust {@code tokenizers} library;
 * {@link dev.tessera.tokenizer.StreamingDecoder} turns generated ids into text incrementally;
 * {@link dev.tessera.tokenizer.ChatTemplate} renders {@code chat_template.jinja} like
 * {@code transformers.apply_chat_template}; {@link dev.tessera.tokenizer.StopTokens} collects the ids that end
 * generation. Nothing here depends on the model or engine code.
 */
package dev.tessera.tokenizer;
