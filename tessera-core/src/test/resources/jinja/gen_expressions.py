# Regenerates jinja2-expressions.jsonl: random {{ expression }} templates (operators, precedence, tests, filters,
# methods, conditionals) rendered by Python Jinja2 3.1.6 configured like transformers.
# Usage: python3 gen_expressions.py 1 1500, then keep the first 500 that Jinja2 renders without error; the first
# line of the resource holds the shared context.
import json, random, sys, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
random.seed(int(sys.argv[1]))
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
ctx = {"x": 3, "y": -2, "f": 2.5, "s": "Ab c", "e": "", "l": [3, 1, 2], "d": {"k": "v", "n": 1}, "n": None, "t": True, "messages": []}
atoms = ["x", "y", "f", "s", "e", "l", "d", "n", "t", "0", "1", "7", "2.0", "0.1", "'hi'", "'A b'", "''", "[1, 'a']", "[]", "none", "true", "false", "(1, 2)", "{'a': 1}", "undefined_var", "d.k", "d['n']", "l[0]", "l[-1]", "s[1:]", "l[::-1]", "s.upper()", "s.split()", "s.strip()", "d.get('z', 5)"]
binops = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "and", "or", "in", "not in", "**"]
filters = ["length", "string", "upper", "lower", "first", "last", "join(',')", "default('D')", "default('D', true)", "int", "float", "abs", "round", "reverse|list", "list", "sort", "trim", "tojson", "count", "items|list", "unique|list", "max", "min", "sum", "title", "capitalize", "replace('b', 'X')", "e", "wordcount"]
tests = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence", "boolean", "true", "false", "odd", "even", "divisibleby(2)", "lower", "upper", "sameas none", "eq 3", "in [1, 3]"]
def expr(depth):
    r = random.random()
    if depth <= 0 or r < 0.3: return random.choice(atoms)
    if r < 0.55: return expr(depth - 1) + " " + random.choice(binops) + " " + expr(depth - 1)
    if r < 0.65: return "(" + expr(depth - 1) + ")"
    if r < 0.75: return expr(depth - 1) + "|" + random.choice(filters)
    if r < 0.83: return expr(depth - 1) + " is " + random.choice(["", "not "]) + random.choice(tests)
    if r < 0.9: return "not " + expr(depth - 1)
    if r < 0.95: return expr(depth - 1) + " if " + expr(depth - 1) + " else " + expr(depth - 1)
    return "-" + random.choice(atoms)
cases = []
for i in range(int(sys.argv[2])):
    src = "{{ " + expr(3) + " }}"
    try: r, e = env.from_string(src).render(**ctx), None
    except Exception as ex: r, e = None, type(ex).__name__
    cases.append({"name": f"expr-{i}", "template": src, "context": ctx, "rendered": r, "error": e})
with open('exprs.jsonl', 'w') as f:
    for c in cases: f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(len(cases), sum(1 for c in cases if c['error']))
