# Regenerates jinja2-generic.jsonl: Llama 3 / Gemma / Mistral-style templates and a filter/operator soup rendered by
# Python Jinja2 3.1.6 configured like transformers. Usage: python3 gen_generic_cases.py (writes generic.jsonl)
import json, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
msgs = [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi é"}, {"role": "assistant", "content": "Hello!\n"}, {"role": "user", "content": "2+2?"}]
T = {
"llama3": """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- if not tools is defined %}{%- set tools = none %}{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
""",
"gemma": """{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}""",
"mistral": """{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}{{- bos_token }}{%- for message in loop_messages %}{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}{%- if message['role'] == 'user' %}{%- if loop.first and system_message is defined %}{{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}{%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token}}{%- else %}{{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}{%- endif %}{%- endfor %}""",
"misc": """{% set xs = [3, 1, 2] %}{{ xs|sort }}{{ xs|sort(reverse=true) }}{{ xs|max }}{{ xs|min }}{{ xs|sum }}{{ xs|first }}{{ xs|last }}{{ xs|list|length }}
{{ "%s-%d"|format("a", 3) }} {{ "a,b"|replace(",", ";") }} {{ 'Hello World'|lower|title }} {{ '  x '|trim|upper }} {{ [1,2,3]|join('|') }}
{{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ [{'n': 'x'}, {'n': 'y'}]|map(attribute='n')|join(',') }}
{{ [1, 2, 3, 4]|select('odd')|list }} {{ [{'a': 1}, {'a': 0}]|selectattr('a')|list }} {{ range(3)|list }} {{ range(1, 10, 3)|list }}
{% for k, v in {'x': 1, 'y': [2]}.items() %}{{ k }}:{{ v }};{% endfor %} {{ 'abc'[1] }} {{ 'abc'[-1] }} {{ 'a b c'.split(' ', 1) }} {{ 'abcabc'.rsplit('b', 1) }}
{{ 1 if none else 2 }} {{ none is none }} {{ 3 is divisibleby 3 }} {{ 'x' is lower }} {{ 10 // 3 }} {{ 10 % 3 }} {{ -10 % 3 }} {{ 2 ** 0.5 }} {{ 1 / 3 }} {{ 3.0 }} {{ 1.5e300 * 1 }}
{{ [1, [2, 'x']] }} {{ {'k': none, 'b': true} }} {{ ('a', 1) }} {{ 'é\\n'|tojson }} {{ "it's" }} {{ 'say "hi"' ~ "" }} {{ {'a': 'x'}|tojson(indent=2) }}
{%- set ns = namespace(items=[]) %}{% for i in range(3) %}{% set ns.items = ns.items + [i * 2] %}{% endfor %}{{ ns.items }}
{% macro greet(name, punct='!') -%}Hi {{ name }}{{ punct }}{%- endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }}
{% filter upper %}shout {{ 'this' }}{% endfilter %} {% set block %}captured {{ 1 + 1 }}{% endset %}{{ block }}
{{ 'x'.center if false else 'no-center' }} {{ messages|length }} {{ messages[-1].content }} {{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }}
{{ 'abc'.startswith('ab') and 'abc'.endswith('bc') }} {{ 'a' in 'cat' }} {{ 'z' not in ['a'] }} {{ 'K' in {'K': 1} }} {{ 'TeSt'.lower() == 'test' }} {{ '  lead'.lstrip() }}|{{ 'trail  '.rstrip() }}|
{{ [3,1]|reverse|list }} {{ 'abc'|reverse }} {{ ['b','a','b']|unique|list }} {{ 'word count here'|wordcount }} {{ '1.5'|float + 1 }} {{ '7'|int * 2 }} {{ 2.567|round(1) }} {{ -3|abs }}
{{ "line1\\nline2"|indent(2) }} {{ "a\\n\\nb"|indent(2, true) }}
""",
}
cases = []
for name, src in T.items():
    for variant in range(4):
        m = [dict(x) for x in msgs]
        if variant == 1: m = m[1:]
        if variant == 2: m = m[1:3]
        if variant == 3: m = m + [{"role": "assistant", "content": " tail "}]
        ctx = {"bos_token": "<s>", "eos_token": "</s>", "messages": m, "tools": None, "documents": None, "add_generation_prompt": variant % 2 == 0}
        try: r, e = env.from_string(src).render(**ctx), None
        except Exception as ex: r, e = None, str(ex)
        cases.append({"name": f"{name}-{variant}", "template": src, "context": ctx, "rendered": r, "error": e})
with open('generic.jsonl', 'w') as f:
    for c in cases: f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(len(cases), sum(1 for c in cases if c['error']), [c['error'] for c in cases if c['error']][:3])
