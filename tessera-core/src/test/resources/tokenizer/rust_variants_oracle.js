// Records rust-variants.jsonl: builds each variant of variant-patches.json from the golden tokenizer.json.gz
// (python3 build_variants.py), then encodes/decodes the texts of "python3 gen_texts.py 23 150" plus a few fixed ones with HF
// tokenizers (Rust) through its N-API build; the resource keeps 45 random texts per variant and the fixed ones.
const { Tokenizer } = require('@anush008/tokenizers');
const fs = require('fs');
(async () => {
  const texts = fs.readFileSync('/tmp/rustoracle/texts.jsonl', 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l).text);
  const extra = ["hello world", "say hello", "hellothere", " <think> x </think> ", "a<tool_call>b <tool_call> c", "café é é", "x <|brand_new|>   y", "Ġworld Ġ world", "  lead and trail  ", "12 345 6789", "Hello, World! It's 3:45pm.", "½<tool_call>", "²<tool_call>", "\u0301<tool_call>", "<tool_call>\u200d", "١<tool_call>", "‿<tool_call>", "<tool_call>²", "-<tool_call>-", "9<tool_call>", "x<tool_call>"];
  const all = texts.concat(extra);
  const names = JSON.parse(fs.readFileSync('patches.json', 'utf8')).map(v => v.name);
  const out = fs.createWriteStream('expected.jsonl');
  for (const name of names) {
    const tok = Tokenizer.fromString(fs.readFileSync(name + '/tokenizer.json', 'utf8'));
    for (let i = 0; i < all.length; i++) {
      const e1 = Array.from((await tok.encode(all[i], null, { addSpecialTokens: false })).getIds());
      const e2 = Array.from((await tok.encode(all[i], null, { addSpecialTokens: true })).getIds());
      const d1 = e1.length ? await tok.decode(e1, false) : '';
      const d2 = e1.length ? await tok.decode(e1, true) : '';
      out.write(JSON.stringify({ variant: name, text: all[i], ids: e1, ids_special: e2, decoded: d1, decoded_skip_special: d2 }) + '\n');
    }
  }
  out.end();
})().catch(e => { console.error(e); process.exit(1); });
