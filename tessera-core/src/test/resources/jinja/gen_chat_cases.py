# Regenerates jinja2-chat-templates.jsonl: random conversations rendered by Python Jinja2 3.1.6 configured like
# transformers (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, tojson, raise_exception).
# Usage: python3 gen_chat_cases.py SEED PER_FAMILY  (writes cases.jsonl; reads the golden templates)
import json, os, random, sys, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
G = os.environ.get('TESSERA_GOLDEN', '../shared/golden') + '/tokenizer/'
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
texts = ["Hello!", "  padded  ", "Line1\nLine2\n", "中文内容，测试。", "emoji 👍🏽 and ZWJ 👨‍👩‍👧", "<think>\nplan it\n</think>\n\nThe answer is 4.",
         "<tool_response>\n{\"ok\": true}\n</tool_response>", "It's \"quoted\" \\ back", "", "Tabs\tand\r\nCRLF", "<|im_start|>inline special", "x" * 50, "  \n  ", "ﬁ ligature é"]
def rtext(): return random.choice(texts)
def rargs():
    vals = [1, -3, 2.5, 1e-7, 10**20, True, False, None, "str", "uni é 中", [1, "a", None], {"nested": {"k": [1, 2.0]}}, {}, []]
    return {random.choice(["city","unit","q","n","flag","list","obj"]) + str(i): random.choice(vals) for i in range(random.randint(0, 3))}
def rtool():
    return {"type": "function", "function": {"name": random.choice(["get_weather","search","calc_sum"]), "description": rtext(),
            "parameters": {"type": "object", "properties": {"a": {"type": "string", "description": "é 中"}, "b": {"type": "number"}}, "required": ["a"]}}}
def rcall():
    args = rargs()
    if random.random() < 0.2: args = json.dumps(args)
    fn = {"name": random.choice(["get_weather","search"]), "arguments": args}
    return {"type": "function", "function": fn} if random.random() < 0.8 else fn
def rcontent(allow_list):
    if allow_list and random.random() < 0.25:
        parts = [{"type": "text", "text": rtext()} for _ in range(random.randint(1, 3))]
        return parts
    return rtext()
def conv(family):
    msgs = []
    if random.random() < 0.5: msgs.append({"role": "system", "content": rcontent(family != 'qwen3')})
    for t in range(random.randint(1, 4)):
        msgs.append({"role": "user", "content": rcontent(family != 'qwen3')})
        r = random.random()
        if r < 0.3:
            m = {"role": "assistant", "content": rtext() if random.random() < 0.7 else "", "tool_calls": [rcall() for _ in range(random.randint(1, 2))]}
            msgs.append(m)
            for _ in range(len(m["tool_calls"])): msgs.append({"role": "tool", "content": rtext()})
            if random.random() < 0.7: msgs.append({"role": "assistant", "content": rtext()})
        elif r < 0.8:
            m = {"role": "assistant", "content": rtext()}
            if random.random() < 0.3: m["reasoning_content"] = rtext()
            msgs.append(m)
    if random.random() < 0.3 and msgs[-1]["role"] == "assistant": msgs.pop()
    kw = {"add_generation_prompt": random.random() < 0.6}
    if random.random() < 0.4: kw["tools"] = [rtool() for _ in range(random.randint(1, 2))]
    if family in ("qwen3", "qwen3.5", "nanbeige4") and random.random() < 0.5: kw["enable_thinking"] = random.random() < 0.5
    if family == "granite-4.0-h" and random.random() < 0.4: kw["documents"] = [{"doc_id": i, "title": rtext(), "text": rtext()} for i in range(random.randint(1, 2))]
    if family == "nanbeige4" and random.random() < 0.3: kw["tool_call_format"] = "json"
    if family == "nanbeige4" and random.random() < 0.2: kw["preserve_thinking"] = False
    return msgs, kw
out = open('cases.jsonl', 'w')
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
for family in ["qwen3", "qwen3.5", "granite-4.0-h", "nanbeige4"]:
    src = open(G + family + '/chat_template.jinja').read()
    tpl = env.from_string(src)
    cfg = json.load(open(G + family + '/tokenizer_config.json'))
    specials = {k: cfg.get(k) for k in ["bos_token","eos_token","pad_token","unk_token"] if isinstance(cfg.get(k), str)}
    for i in range(n):
        msgs, kw = conv(family)
        ctx = dict(specials); ctx.update(messages=msgs, tools=None, documents=None, add_generation_prompt=False); ctx.update(kw)
        try: rendered, err = tpl.render(**ctx), None
        except Exception as e: rendered, err = None, str(e)
        out.write(json.dumps({"family": family, "name": f"{family}-{i}", "messages": msgs, "kwargs": kw, "rendered": rendered, "error": err}, ensure_ascii=False) + "\n")
