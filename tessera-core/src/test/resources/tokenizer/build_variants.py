# Builds the variant tokenizers of variant-patches.json from the golden files (one folder per variant).
import json, gzip, os
G = '/work/shared/golden/tokenizer/'
for v in json.load(open('patches.json')):
    j = json.load(gzip.open(G + v['base'] + '/tokenizer.json.gz'))
    for k, val in v.get('patch', {}).items(): j[k] = val
    for a in v.get('patch_added', []):
        if 'new' in a: j['added_tokens'].append(a['new'])
        else:
            for t in j['added_tokens']:
                if t['content'] == a['content']: t.update({k: x for k, x in a.items() if k != 'content'})
    os.makedirs(v['name'], exist_ok=True)
    json.dump(j, open(v['name'] + '/tokenizer.json', 'w'), ensure_ascii=False)
print('ok')
