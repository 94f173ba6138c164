package dev.tessera.tokenizer.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Jinja2/Python semantics the chat templates rely on; expected strings are what Python Jinja2 3.1 renders. */
class JinjaTemplateTest {

    private static String render(String tpl, Map<String, Object> ctx) {
        return JinjaTemplate.parse(tpl).render(ctx);
    }

    private static String render(String tpl) {
        return render(tpl, Map.of());
    }

    @Test
    void whitespaceControlTrimAndLstripBlocks() {
        assertThat(render("a\n  {% if true %}\n    x\n  {% endif %}\nb")).isEqualTo("a\n    x\nb");
        assertThat(render("a  {%- if true -%}  x  {%- endif -%}  b")).isEqualTo("axb");
        assertThat(render("{{ 'x' }}\n{{ 'y' }}\n")).isEqualTo("x\ny"); // one trailing newline dropped
        assertThat(render("  {{- 'x' }}")).isEqualTo("x");
        assertThat(render("a {# note #}\nb")).isEqualTo("a b");
        assertThat(render("  {%+ if true %}x{% endif %}")).isEqualTo("  x");
    }

    @Test
    void slicingAndNegativeIndices() {
        Map<String, Object> ctx = Map.of("xs", List.of(1, 2, 3, 4), "s", "hello");
        assertThat(render("{{ xs[::-1] }}|{{ xs[1:3] }}|{{ xs[-1] }}|{{ s[::-1] }}|{{ s[1:] }}|{{ xs[:-1] }}", ctx))
                .isEqualTo("[4, 3, 2, 1]|[2, 3]|4|olleh|ello|[1, 2, 3]");
        assertThat(render("{% for x in xs[::2] %}{{ x }}{% endfor %}", ctx)).isEqualTo("13");
    }

    @Test
    void namespaceLoopAndScoping() {
        String tpl = "{% set ns = namespace(n=0, last=xs|length - 1) %}{% set outer = 'o' %}"
                + "{% for x in xs %}{% set outer = 'inner' %}{% set ns.n = ns.n + x %}"
                + "{{ loop.index0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}"
                + "{% if loop.previtem is defined %}<{{ loop.previtem }}{% endif %}"
                + "{% if loop.nextitem is defined %}>{{ loop.nextitem }}{% endif %},{% endfor %}"
                + "{{ ns.n }} {{ ns.last }} {{ outer }}";
        assertThat(render(tpl, Map.of("xs", List.of(5, 6, 7)))).isEqualTo("0F>6,1<5>7,2L<6,18 2 o");
    }

    @Test
    void loopControlsAndElse() {
        assertThat(render("{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
                Map.of("xs", List.of(1, 2, 3, 4, 5)))).isEqualTo("13");
        assertThat(render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}")).isEqualTo("empty");
        assertThat(render("{% for x in xs if x is odd %}{{ x }}{{ loop.length }}{% endfor %}",
                Map.of("xs", List.of(1, 2, 3)))).isEqualTo("1232");
    }

    @Test
    void pythonStringMethods() {
        Map<String, Object> ctx = Map.of("c", "<think>\nplan\n</think>\n\nanswer\n");
        assertThat(render("{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|"
                + "{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.startswith('<think>') }}|{{ c.endswith(('x', '\\n')) }}",
                ctx)).isEqualTo("plan|answer\n|True|True");
        assertThat(render("{{ '  a b  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'xxaxx'.strip('x') }}"))
                .isEqualTo("a b|['a', 'b', '', 'c']|['a', 'b']|a");
        assertThat(render("{{ 'Hello'.upper() }}{{ 'a-b'.replace('-', '+') }}{{ 'ab'.title() }}{{ '{}={}'.format('k', 1) }}"))
                .isEqualTo("HELLOa+bAbk=1");
    }

    @Test
    void pythonValuePrinting() {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("n", null);
        ctx.put("d", new LinkedHashMap<>(Map.of("k", "it's")));
        assertThat(render("{{ n }}|{{ true }}|{{ 1.0 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 2 ** 10 }}|{{ 1e20 }}|{{ 0.0001 }}", ctx))
                .isEqualTo("None|True|1.0|3.5|3|-4|1024|1e+20|0.0001");
        assertThat(render("{{ d }}|{{ [1, 'a', none] }}|{{ ('a',) }}|{{ missing }}|{{ 'a' ~ 1 ~ none }}", ctx))
                .isEqualTo("{'k': \"it's\"}|[1, 'a', None]|('a',)||a1None");
    }

    @Test
    void tojsonIsPythonJsonDumps() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("description", "Température \"now\"\n");
        tool.put("params", List.of(1, 2.5, true, Map.of()));
        tool.put("none", null);
        assertThat(render("{{ t | tojson }}", Map.of("t", tool))).isEqualTo(
                "{\"name\": \"get_weather\", \"description\": \"Température \\\"now\\\"\\n\", \"params\": [1, 2.5, true, {}], \"none\": null}");
        assertThat(render("{{ {'a': [1, 2]} | tojson(indent=2) }}")).isEqualTo("{\n  \"a\": [\n    1,\n    2\n  ]\n}");
    }

    @Test
    void testsFiltersAndOperators() {
        Map<String, Object> ctx = Map.of("m", Map.of("a", 1), "s", "x", "l", List.of("b", "a"));
        assertThat(render("{{ m is mapping }}{{ s is string }}{{ l is sequence }}{{ m is iterable }}{{ s is not none }}"
                + "{{ undefined_thing is defined }}{{ true is true }}{{ 1 is true }}", ctx))
                .isEqualTo("TrueTrueTrueTrueTrueFalseTrueFalse");
        assertThat(render("{% for k, v in m|items %}{{ k }}={{ v }}{% endfor %}|{{ l|join(',') }}|{{ l|length }}|"
                + "{{ l|sort|first }}|{{ m.get('z', 'dflt') }}|{{ 'a' in l }}|{{ 'y' not in s }}|{{ x|default('d') }}", ctx))
                .isEqualTo("a=1|b,a|2|a|dflt|True|True|d");
        assertThat(render("{{ 'yes' if s else 'no' }}{{ 'A' if not s }}|{{ [1,2] + [3] }}|{{ '  t  '|trim }}", ctx))
                .isEqualTo("yes|[1, 2, 3]|t");
    }

    @Test
    void macrosAndCallerScope() {
        String tpl = "{% set prefix = '>' %}{% macro show(x, sep='-') %}{{ prefix }}{{ x }}{{ sep }}{% endmacro %}"
                + "{{ show('a') }}{{ show('b', sep='+') }}{{ show('c')|trim('-') }}";
        assertThat(render(tpl)).isEqualTo(">a->b+>c");
    }

    @Test
    void raiseExceptionCarriesTheMessage() {
        assertThatThrownBy(() -> render("{{ raise_exception('Only user and assistant roles are supported!') }}"))
                .isInstanceOf(TemplateException.Raised.class)
                .hasMessage("Only user and assistant roles are supported!");
    }

    @Test
    void syntaxErrorsNameTheLine() {
        assertThatThrownBy(() -> JinjaTemplate.parse("ok\n{% if x %}\nno end"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("endif");
        assertThatThrownBy(() -> JinjaTemplate.parse("a\n{{ 1 + }}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("line 2");
    }
}
