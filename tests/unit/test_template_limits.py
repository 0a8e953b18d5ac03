"""The render budget: what an organisation's template may cost, and what it may reach for.

Pure rules on the templates module: no database. The API and the dispatcher's use of
them are in ``tests/notifications/test_template_limits.py``.
"""

from __future__ import annotations

import tracemalloc
import uuid

import pytest
from jinja2 import Environment, meta

from services.notifications.wording.kinds import KINDS
from services.notifications.wording.sandbox import (
    RENDER_TIME_LIMIT_SECONDS,
    VALUE_SIZE_LIMIT,
    RenderBudget,
    RenderLimitExceeded,
    render_budget,
)
from services.notifications.wording.templates import (
    DEFAULT_TEMPLATES,
    TemplateInvalid,
    TemplateRenderFailed,
    check_template,
    default_parts,
    render,
    render_parts,
    sample_variables,
)
from tests.support.render_budgets import watch_render_budgets

LONG = "{% set s = 'x' * 40000 %}"
NESTED_LOOPS = LONG + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
TIME = "template exceeds the 1 s render time limit"
VALUE = "64 KB size limit"
# The most CPU time a template may compute between two of the budget's checks: the
# checks are on every loop step, call, filter, operator and output, microseconds apart.
UNCHECKED_STRETCH_SECONDS = 0.25


@pytest.fixture
def budgets(monkeypatch) -> list[RenderBudget]:
    return watch_render_budgets(monkeypatch)


def _render_text(
    source: str, budgets: list[RenderBudget], channel: str = "email"
) -> tuple[TemplateRenderFailed, RenderBudget]:
    """The failure of a render of ``source``, and the budget it ran under."""
    with pytest.raises(TemplateRenderFailed) as failed:
        render_parts(
            {"subject": "Hi", "text": source}, sample_variables("welcome", channel), channel
        )
    return failed.value, budgets[-1]


def _peak_bytes_while(function) -> int:
    """The most memory Python held at once, beyond what it held before, while ``function``
    ran: what a template built, or was stopped before building."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_deadline_is_checked_at_every_step_of_a_loop():
    ticks = iter(range(10**6))
    steps = []
    with (
        render_budget(0.5, clock=lambda: next(ticks) / 1000) as budget,  # 1 ms a read
        pytest.raises(RenderLimitExceeded, match="render time limit"),
    ):
        steps.extend(budget.each(range(10**6)))
    # Stopped at the first read past its half second: 500 steps, not one more.
    assert len(steps) == 500
    assert budget.ran_out and budget.overrun == pytest.approx(0.001)


def test_two_nested_loops_over_a_long_string_stop_at_the_time_limit(budgets):
    failure, budget = _render_text(NESTED_LOOPS, budgets)
    assert (failure.part, failure.reason, failure.over_limit) == ("text", TIME, True)
    # In the budget's own CPU time: not before the limit, and promptly after it.
    assert budget.ran_out and budget.spent() >= RENDER_TIME_LIMIT_SECONDS
    assert 0 < budget.overrun < UNCHECKED_STRETCH_SECONDS


def test_a_ten_megabyte_string_is_refused_before_it_is_built(budgets):
    failures = []

    def render():
        failures.append(_render_text("{{ 'x' * 10000000 }}", budgets)[0])

    peak = _peak_bytes_while(render)
    assert VALUE in failures[0].reason
    assert not budgets[-1].ran_out
    assert peak < 10 * VALUE_SIZE_LIMIT  # far below the 10 MB it asked for


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        ("{{ name|center(100000000) }}", VALUE),
        ("{{ name|center(10**8) }}", VALUE),
        ("{{ name|indent(10**8, true) }}", VALUE),
        (LONG + "{{ s|indent(s, true) }}", VALUE),
        (LONG + "{{ s|wordwrap(1, wrapstring=s) }}", VALUE),
        (LONG + "{{ s|replace('', s) }}", VALUE),
        (LONG + "{{ range(100000)|join(s) }}", VALUE),
        (LONG + "{{ s|urlize(target=s) }}", VALUE),
        ("{{ '%100000000s'|format(name) }}", VALUE),
        ("{{ '%*s'|format(100000000, name) }}", VALUE),
        ("{{ '%100000000s' % name }}", VALUE),
        ("{{ '{:>100000000}'.format(name) }}", VALUE),
        ("{{ '{:>{}}'.format(name, 100000000) }}", VALUE),
        ("{{ name.ljust(100000000) }}", VALUE),
        (LONG + "{{ s.replace('', s) }}", VALUE),
        ("{% set t = '\t' * 60000 %}{{ t.expandtabs(60000) }}", VALUE),
        ("{{ (1).to_bytes(100000000, 'big') }}", VALUE),
        ("{{ 2 ** 100000 }}", "8192-bit size limit"),
        (
            LONG + "{% set ns = namespace(s=s) %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            VALUE,
        ),
        (
            LONG + "{% macro d(x, n) %}{% if n %}{{ d(x ~ x, n - 1) }}{% endif %}{% endmacro %}"
            "{{ d(s, 40) }}",
            VALUE,
        ),
        (LONG + "{% set l = [s, s, s, s, s, s, s, s, s, s] %}{{ l|tojson }}", VALUE),
        (LONG + "{% set l = [s, s, s, s, s, s, s, s, s, s] %}{{ l }}", VALUE),
        (
            LONG + "{% set x %}{% for a in s %}{{ s }}{% endfor %}{% endset %}{{ x|length }}",
            "64 KB output limit",
        ),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}",
            TIME,
        ),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", TIME),
    ],
)
def test_every_way_to_build_too_much_is_stopped(source, limit, budgets):
    failure, budget = _render_text(source, budgets)
    assert limit in failure.reason and failure.over_limit
    # Stopped by the limit it names: the deadline only for the time limit, and never a
    # long stretch of work between two checks.
    assert budget.ran_out == (limit == TIME)
    assert budget.overrun < UNCHECKED_STRETCH_SECONDS
    if limit != TIME:
        assert budget.spent() < RENDER_TIME_LIMIT_SECONDS


def test_output_over_the_email_limit_and_the_sms_segment_limit_is_refused(budgets):
    big_output = "{% for i in range(2000) %}{{ 'y' * 60 }}{% endfor %}"
    assert _render_text(big_output, budgets)[0].reason == "template exceeds the 64 KB output limit"
    sms = _render_text("{{ name * 1000 }}", budgets, channel="sms")[0]
    assert sms.reason == "template exceeds the 10-segment SMS limit"
    # Nine segments are fine.
    nine = render_parts({"text": "{{ 'x' * 1370 }}"}, {}, "sms")
    assert len(nine.text) == 1370


def test_ordinary_templates_are_not_held_back_by_the_checks():
    source = (
        "{% for letter in name|list %}{{ letter|upper }}{% endfor %} "
        "{{ '%d minutes'|format(duration_minutes) }} {{ '{} at {}'.format(mode, starts_local) }} "
        "{{ range(3)|join(', ') }} {{ name|center(9) }}|{{ (name ~ '!') * 2 }} "
        "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}{% endfor %}"
        "{{ ns.n }} {{ [name, mode]|sort|join('/') }} {{ 2 ** 10 }}"
    )
    variables = sample_variables("checkin_reminder", "email")
    rendered = render_parts({"subject": "s", "text": source}, variables, "email")
    assert rendered.text == (
        "SAM 45 minutes video at Wed 15 Apr, 14:30 0, 1, 2    Sam   |Sam!Sam! 10 Sam/video 1024"
    )
    in_loops = (
        "{% macro shout(word) %}{{ word|upper }}{{ caller() if caller is defined else '' }}{% endmacro %}"
        "{% for a in 'ab' %}{% set b = a ~ a %}{{ name.replace('a', 'o') }} {{ '{}!'.format(b) }} "
        "{{ shout(b) }} {% call shout(a) %}-{% endcall %} {{ ', '.join([a, b]) }};{% endfor %}"
    )
    rendered = render_parts({"subject": "s", "text": in_loops}, variables, "email")
    assert rendered.text == "Som aa! AA A- a, aa;Som bb! BB B- b, bb;"


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("{{ name.__class__ }}", "'__class__' is blocked"),
        ("{{ name.__init__.__globals__ }}", "'__globals__' is blocked"),
        ("{{ name['__class__'] }}", "'__class__' is blocked"),
        ("{{ name|attr('__class__') }}", "'__class__' is blocked"),
        ("{{ [name]|map(attribute='__class__')|list }}", "'__class__' is blocked"),
        ("{{ name.__class__.mro() }}", "'mro' is blocked"),
        ("{{ cycler }}", "'cycler' is not available"),
        ("{{ cycler('a', 'b').next() }}", "'cycler' is not available"),
        ("{{ lipsum() }}", "'lipsum' is not available"),
        ("{{ joiner() }}", "'joiner' is not available"),
        ("{{ self }}", "'self' is not available"),
        ("{{ _private }}", "'_private' is not available"),
        ("{% set l = [1] %}{{ l.append(2) }}", "'append' is blocked"),
        ("{% include 'other.txt' %}", "cannot extend, include or import"),
        ("{% extends 'base.txt' %}", "cannot extend, include or import"),
    ],
)
def test_reaching_for_what_the_sandbox_blocks_is_refused_at_save(source, refusal):
    with pytest.raises(TemplateInvalid) as refused:
        check_template("welcome", "email", {"subject": "Hi", "text": source})
    assert any(refusal in message for message in refused.value.errors["text"])


def test_a_variable_the_channel_does_not_have_is_refused():
    with pytest.raises(TemplateInvalid) as refused:
        check_template("welcome", "sms", {"text": "Stop: {{ unsubscribe_url }}"})
    assert "unsubscribe_url" in refused.value.errors["text"][0]
    with pytest.raises(TemplateInvalid):
        check_template("risk_alert", "email", {"subject": "x", "text": "Hi {{ name }}"})


def test_saving_refuses_a_template_that_fails_with_the_sample_data():
    with pytest.raises(TemplateInvalid) as refused:
        check_template("welcome", "email", {"subject": "Hi", "text": "{{ name + 1 }}"})
    assert refused.value.detail.startswith("The text template fails to render")


@pytest.mark.parametrize(("kind", "channel"), sorted(DEFAULT_TEMPLATES))
def test_every_default_template_passes_the_checks_it_holds_others_to(kind, channel):
    rendered = check_template(kind, channel, default_parts(kind, channel))
    assert "  " not in rendered.text and " ," not in rendered.text
    if channel == "email":
        assert "Warm regards,\nHarbour Recovery Services" in rendered.text
        assert "<p>Warm regards,<br>Harbour Recovery Services</p>" in rendered.html
        assert '<html lang="en">' in rendered.html and '<meta charset="utf-8">' in rendered.html


def _used_variables(kind: str, channel: str) -> set[str]:
    # ``ngettext`` is not data but the catalog's plural forms, always there.
    return {
        name
        for source in default_parts(kind, channel).values()
        if source
        for name in meta.find_undeclared_variables(Environment().parse(source))
    } - {"ngettext"}


@pytest.mark.parametrize(
    ("kind", "channel", "name"),
    [
        (kind, channel, name)
        for kind, channel in sorted(DEFAULT_TEMPLATES)
        for name in sorted(_used_variables(kind, channel))
        if name not in KINDS[kind].optional  # by design: see the plan_ready test below
    ],
)
def test_a_missing_or_empty_variable_fails_the_default_instead_of_leaving_a_gap(
    kind, channel, name
):
    variables = sample_variables(kind, channel)
    missing = {k: v for k, v in variables.items() if k != name}
    for absent in (missing, missing | {name: ""}, missing | {name: None}):
        with pytest.raises(TemplateRenderFailed) as failed:
            render(kind, channel, absent)
        assert f"'{name}' is undefined" in failed.value.reason


def test_plan_ready_without_a_goal_count_leaves_the_sentence_out_rather_than_blank():
    variables = sample_variables("plan_ready", "email")
    with_count = render("plan_ready", "email", variables).text
    one = render("plan_ready", "email", variables | {"goal_count": 1}).text
    without = render("plan_ready", "email", variables | {"goal_count": None}).text
    assert "is ready, with 2 goals to start with." in with_count
    assert "is ready, with 1 goal to start with." in one
    assert "is ready. Take it one step at a time." in without


def test_an_override_over_a_limit_gives_way_to_the_default_wording_with_the_reason(budgets):
    variables = sample_variables("welcome", "email")
    slow = NESTED_LOOPS + "{# " + str(uuid.uuid4()) + " #}"  # not rendered before
    rendered = render("welcome", "email", variables, {"subject": "Hi", "text": slow, "html": None})
    # The organisation's template ran out of its budget once; the default then had its own.
    assert [budget.ran_out for budget in budgets] == [True, False]
    assert rendered.subject == "Welcome to Harbour Recovery Services, Sam"
    assert rendered.fallback_reason == (
        "default wording used: the organisation's text template exceeds the 1 s render time limit"
    )
    budgets.clear()  # the same template again: not given another second
    again = render("welcome", "email", variables, {"subject": "Hi", "text": slow, "html": None})
    assert [budget.ran_out for budget in budgets] == [False]  # the default's render only
    assert again.fallback_reason == rendered.fallback_reason
    fine = render("welcome", "email", variables, {"subject": "Hi {{ name }}", "text": "Hello"})
    assert (fine.subject, fine.fallback_reason) == ("Hi Sam", None)
    assert '<html lang="en">' in fine.html  # an HTML part made from the text


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 3000 + "name" + ")" * 3000 + " }}",
        "{% if name %}" * 300 + "x" + "{% endif %}" * 300,
        "{{ name" + "|upper" * 800 + " }}",
        "{% for a in name %}" * 101 + "{% endfor %}" * 101,
        "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    ],
)
def test_a_template_nested_too_deeply_is_refused_not_a_crash(source):
    with pytest.raises(TemplateInvalid) as refused:
        check_template("welcome", "sms", {"text": source})
    assert refused.value.errors["text"]
