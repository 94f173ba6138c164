package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * The token ids at which generation stops: every EOS id named by {@code generation_config.json},
 * {@code config.json} (top level or {@code text_config}) and {@code tokenizer_config.json}, plus the end-of-turn
 * special tokens present in the vocabulary (a chat model ends its turn with those even when the config names
 * only the document EOS).
 */
public final class StopTokens {
    /** End-of-turn / end-of-text tokens used by common chat templates. */
    static final String[] END_OF_TURN = {
        "<|im_end|>", "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<|end|>", "<|eom_id|>", "</s>",
        "<end_of_turn>", "<|end_of_turn|>", "<|return|>", "<|call|>"
    };

    private final int[] ids;

    private StopTokens(int[] ids) {
        this.ids = ids;
    }

    static StopTokens of(Tokenizer tok, TokenizerConfig cfg) {
        TreeSet<Integer> set = new TreeSet<>();
        if (cfg.generationConfig() != null) addIds(cfg.generationConfig().get("eos_token_id"), set, tok);
        if (cfg.modelConfig() != null) {
            addIds(cfg.modelConfig().get("eos_token_id"), set, tok);
            addIds(cfg.modelConfig().path("text_config").get("eos_token_id"), set, tok);
        }
        String eos = cfg.specialTokens().get("eos_token");
        if (eos != null) tok.tokenToId(eos).ifPresent(set::add);
        for (String s : END_OF_TURN) {
            OptionalInt id = tok.tokenToId(s);
            // only as an added/special token: a plain vocabulary word like "</s>" in a byte-level vocab is text
            if (id.isPresent() && tok.isSpecial(id.getAsInt())) set.add(id.getAsInt());
        }
        return new StopTokens(set.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void addIds(JsonNode n, TreeSet<Integer> set, Tokenizer tok) {
        if (n == null || n.isNull()) return;
        if (n.isArray()) {
            for (JsonNode x : n) addIds(x, set, tok);
        } else if (n.canConvertToInt() && n.asInt() >= 0 && n.asInt() < tok.vocabSize()) {
            set.add(n.asInt());
        }
    }

    public boolean isStop(int id) {
        return Arrays.binarySearch(ids, id) >= 0;
    }

    /** The stop ids, ascending. */
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public String toString() {
        return "StopTokens" + Arrays.toString(ids);
    }
}
