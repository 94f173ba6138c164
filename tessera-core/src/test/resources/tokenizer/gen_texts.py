# Regenerates the random texts of rust-fuzz.jsonl: python3 gen_texts.py 5 100 (writes texts.jsonl).
# Then: npm install @anush008/tokenizers@0.6.0 @anush008/tokenizers-linux-x64-gnu@0.6.0 && node rust_oracle.js
# (HF tokenizers Rust 0.22 through N-API, the primary oracle of the goldens), and fold expected.jsonl into
# one line per (folder, text) with ids (add_special_tokens=false), ids_special (true), decoded, decoded_skip_special.
import json, random, sys
random.seed(int(sys.argv[1]))
# building blocks: scripts, marks, digits, whitespace kinds, punctuation, specials written inline, emoji, controls
pool = list("aAzZ eé'’ßſSKkIİıi") + list("中文字日本語한국어") + list("العربيةَُِّ") + list("שָׁלוֹם") + list("हिन्दीதமிழ்বাংলাಕನ್ನಡ") + list("ภาษาไทย่้") \
  + list("Ελληνικάрусский") + list("0123456789٠١٢٣０１２") + list(" \t\n\r\u00a0\u3000\u2009\u200b\u200d\u2028\u0085\u000b\f") \
  + list(".,!?;:-_\"()[]{}<>/\\@#$%^&*+=~`|") + ["\u0301", "\u0308", "\u0327", "\ufe0f", "\ufffd", "\u0000", "\u0007", "\u001b", "\u007f", "\ue000", "▁", "Ġ", "Ċ"] \
  + ["👍", "🏽", "👨\u200d👩\u200d👧", "🇫🇷", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "1\ufe0f\u20e3", "𝕏", "𐍈", "🦌"]
words = ["the", " the", "The", " don't", "I'll", " 'LL", "’s", "hello", "world", "   ", "\n\n", "\r\n", "1234567", "3.14159", "http://example.com/a?b=1",
         "def f(x):\n\treturn x", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "<s>", "</s>", "<unk>",
         "<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>", "<|fim_prefix|>", "<|im_start|", "<0x41>", "▁▁", " \u0301", "naïve", "café"]
texts = []
for i in range(int(sys.argv[2])):
    parts = []
    for k in range(random.randint(0, 12)):
        if random.random() < 0.4: parts.append(random.choice(words))
        else: parts.append("".join(random.choice(pool) for _ in range(random.randint(1, 6))))
    texts.append("".join(parts))
texts += ["", " ", "  ", "\n", "a" * 300, " " * 40 + "x", "x" + " " * 41, "1" * 25, "'s'S'ſ's", "ab" * 200]
with open("texts.jsonl", "w") as f:
    for t in texts: f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
print(len(texts))
