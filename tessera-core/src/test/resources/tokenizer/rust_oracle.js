const { Tokenizer } = require('@anush008/tokenizers');
const fs = require('fs'); const zlib = require('zlib');
(async () => {
  const G = '/work/shared/golden/tokenizer/';
  const texts = fs.readFileSync('texts.jsonl', 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l).text);
  const out = fs.createWriteStream('expected.jsonl');
  for (const folder of ['qwen3', 'qwen3.5', 'granite-4.0-h', 'cl100k-gpt4', 'nanbeige4', 'yi']) {
    const tok = Tokenizer.fromString(zlib.gunzipSync(fs.readFileSync(G + folder + '/tokenizer.json.gz')).toString('utf8'));
    for (let i = 0; i < texts.length; i++) {
      for (const add of [false, true]) {
        const enc = await tok.encode(texts[i], null, { addSpecialTokens: add });
        const ids = Array.from(enc.getIds());
        const decoded = ids.length ? await tok.decode(ids, false) : '';
        const decodedSkip = ids.length ? await tok.decode(ids, true) : '';
        out.write(JSON.stringify({ folder, i, add, ids, decoded, decoded_skip_special: decodedSkip }) + '\n');
      }
    }
  }
  out.end();
})();
