# Regenerates the second part of jinja2-generic.jsonl (appended after gen_generic_cases.py output): macro chains,
# loop helpers, whitespace edge cases, CRLF sources, content parts, tool-call JSON, more filters and str methods.
# Usage: python3 gen_generic_cases2.py (writes generic3.jsonl)
import json, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
msgs = [{"role": "system", "content": "Sys"}, {"role": "user", "content": [{"type": "text", "text": "part1"}, {"type": "image"}, {"type": "text", "text": "part2"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": {"x": 1.5, "y": [True, None]}}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"r\": 2}"}, {"role": "user", "content": "thanks"}]
T = {
"crlf": "{% for m in messages %}\r\n{{ m.role }}\r\n{% endfor %}\r\nend\r\n",
"cr-in-string": "{{ 'a\r\nb' }}|{{ \"x\ry\" }}\n",
"ws-edges": "abc   {% if true %}x{% endif %}|\t{% if true %}y{% endif %}|\n  {#- c -#}  z\n  {# c2 #}\nw  {%- if true %} v {% endif -%}  \n",
"macro-chain": "{% macro a(x) %}[{{ x }}]{% endmacro %}{% macro b(y, z=none) %}{{ a(y) }}{{ z is none }}{{ caller is defined }}{% endmacro %}{{ b('q') }}{{ b('r', 1) }}{{ a(a('n')) }}",
"loop-helpers": "{% for m in messages %}{{ loop.revindex }}{{ loop.cycle('a', 'b') }}{{ loop.length }}{% if not loop.last %}, {% endif %}{% endfor %}|{{ messages|selectattr('role', 'eq', 'user')|list|length }}|{{ (messages|last).content }}",
"content-parts": "{% for m in messages %}{% if m.content is string %}S:{{ m.content }}{% elif m.content is iterable %}{% for p in m.content %}{% if p.type == 'text' %}T:{{ p.text }}{% else %}<{{ p.type }}>{% endif %}{% endfor %}{% elif m.content is none %}N{% endif %};{% endfor %}",
"tool-json": "{% for m in messages %}{% if m.tool_calls %}{% for tc in m.tool_calls %}{{ tc.function.name }}{{ tc.function.arguments|tojson }}{{ tc.function.arguments|tojson(indent=4) }}{{ tc.id|length }}{% endfor %}{% endif %}{% endfor %}",
"ns-found": "{%- set ns = namespace(found=false, n=0) -%}{%- for m in messages -%}{%- if m['role'] == 'system' -%}{%- set ns.found = true -%}{%- endif -%}{%- set ns.n = ns.n + 1 -%}{%- endfor -%}{{ ns.found }} {{ ns.n }} {{ ns }}",
"misc2": "{{ [1,2,3][1:] }} {{ 'abc'|list }} {{ dict(a=1, b='x')|tojson }} {{ none ~ 'x' }} {{ x|default(none) is none }} {{ '\\n'.join(['a','b']) }} {{ range(5)[::2]|list }} {{ [3,1,2]|sort|join(',') }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'x' * 3 }} {{ [0] * 2 }} {{ 7 % 4 }} {{ 2 ** 3 ** 2 }} {{ (1, 2) }} {{ 3 // 2 * 2 }} {{ true and 'y' }} {{ false or 0 }} {{ not none }}",
"set-block-trim": "{% set greeting -%}\n  Hello {{ 'World' }}  \n{%- endset %}[{{ greeting }}]{% set a, b = 1, 2 %}{{ a + b }}",
"filters2": "{{ 'Hello World'|replace('o', '0', 1) }} {{ '  x  '|trim('x ') }} {{ 'abc'|upper|reverse }} {{ [1,2,2,3]|unique|list }} {{ {'b':2,'a':1}|dictsort(reverse=true) }} {{ [{'n':2},{'n':1}]|sort(attribute='n')|map(attribute='n')|list }} {{ 'x,y'.split(',')|join('+') }} {{ 3.7|int }} {{ '42'|int + 1 }} {{ 2|float }} {{ [1,2,3]|sum }} {{ [1,2,3]|select('gt', 1)|list }} {{ [1,2,3]|reject('odd')|list }} {{ 'ab'|center(6) if false else 'no' }}",
"str-methods2": "{{ 'a-b-c'.rsplit('-', 1) }} {{ 'Hello'.startswith(('x', 'He')) }} {{ 'abc'.find('c') }} {{ 'aaa'.count('a') }} {{ 'x'.join('abc') }} {{ 'Hi {}!'.format('you') }} {{ 'l1\\nl2\\r\\nl3'.splitlines() }} {{ 'abc'.removeprefix('a') }} {{ '  a'.isspace() }} {{ '12'.isdigit() }} {{ 'MiXed'.lower() }} {{ 'snake_case'.title() }} {{ 'ß'.upper() }}",
}
cases = []
for name, src in T.items():
    ctx = {"bos_token": "<s>", "eos_token": "</s>", "messages": msgs, "tools": None, "documents": None, "add_generation_prompt": True}
    try: r, e = env.from_string(src).render(**ctx), None
    except Exception as ex: r, e = None, str(ex)
    cases.append({"name": name, "template": src, "context": ctx, "rendered": r, "error": e})
with open('generic3.jsonl', 'w') as f:
    for c in cases: f.write(json.dumps(c, ensure_ascii=False) + "\n")
for c in cases: print(c['name'], repr(c['rendered'])[:150] if c['rendered'] is not None else 'ERR ' + c['error'])
