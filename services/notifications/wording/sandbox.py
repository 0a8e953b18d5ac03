"""The sandbox templates render in, with a time and a size budget for each render.

Jinja2's sandbox keeps a template away from Python's internals, but not from running for
minutes or building gigabytes: two nested loops over a long string, ``'x' * 10**7``,
``|center(10**8)``, ``'%99999999s'|format(name)``. Here every loop step, call, filter,
intercepted operator, ``~`` and output goes through a check against the budget of the
render under way: a deadline (of the thread's CPU time), a cap on the size of any value
a template builds (checked before the operation where its size can be known beforehand,
so the memory is never taken), a cap on the number of bits of a number, and a cap on
what the render writes.
Overrunning raises :class:`RenderLimitExceeded`, whose message names the limit.

The checks are plain function calls in the compiled template, a few per output and per
loop step: a default message renders in no measurably longer time.
"""

from __future__ import annotations

import functools
import re
import time
from collections import deque
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from contextvars import ContextVar
from string import Formatter
from types import BuiltinFunctionType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.sandbox import (  # the mutating methods' table is private; jinja2 is pinned
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
    _mutable_spec,
)
from jinja2.utils import Namespace

RENDER_TIME_LIMIT_SECONDS = 1.0
VALUE_SIZE_LIMIT = 64 * 1024  # characters in any one value a template builds
NUMBER_BITS_LIMIT = 8192  # about 2,500 decimal digits
# What a render may write, buffers included, as a multiple of its output limit: a macro's
# or a {% set %} block's text is counted when built and again when written out.
WRITTEN_FACTOR = 4

TIME_LIMIT = f"template exceeds the {RENDER_TIME_LIMIT_SECONDS:g} s render time limit"
VALUE_LIMIT = f"template builds a value over the {VALUE_SIZE_LIMIT // 1024} KB size limit"
NUMBER_LIMIT = f"template builds a number over the {NUMBER_BITS_LIMIT}-bit size limit"

# Globals a message has no use for; refused when a template is saved, absent when rendered.
REMOVED_GLOBALS = ("lipsum", "cycler", "joiner")
# Attributes the sandbox refuses at render time (besides any starting with "_").
BLOCKED_ATTRIBUTES = frozenset(
    {"mro"}
    | UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {name for _, names in _mutable_spec for name in names}
)


class RenderLimitExceeded(Exception):
    """A render overran its budget. Deliberately not a ValueError or TypeError, which
    some filters catch and turn into a default."""


def is_blocked_attribute(name: str) -> bool:
    return name.startswith("_") or name in BLOCKED_ATTRIBUTES


# -- the budget of the render under way ----------------------------------------------------


class RenderBudget:
    """A deadline for a whole message, and a cap on what each of its parts writes.

    The deadline is on the rendering thread's CPU clock (``time.thread_time``), not the
    wall clock: what is limited is the work a template makes, so a loaded host, or the
    dispatcher's other threads holding the GIL, can push no template over the limit that
    stays under it on an idle machine. (Nothing in a sandboxed render waits: it only
    computes.) The budget reports on itself: how much of its clock the render used
    (:meth:`spent`), whether it ran out (``ran_out``) and by how much the check that
    stopped it came after the deadline (``overrun``, the longest stretch a template
    can compute unchecked)."""

    __slots__ = (
        "clock",
        "started",
        "ended",
        "deadline",
        "ran_out",
        "overrun",
        "written",
        "written_limit",
        "output_limit_message",
    )

    def __init__(self, seconds: float, clock: Callable[[], float] = time.thread_time):
        self.clock = clock
        self.started = clock()
        self.ended: float | None = None
        self.deadline = self.started + seconds
        self.ran_out = False
        self.overrun = 0.0
        self.written = 0
        self.written_limit = 0
        self.output_limit_message = ""

    def spent(self) -> float:
        """Seconds of the budget's clock the renders used (so far, while under way).
        The clock is the rendering thread's: ask on that thread, or once it has ended."""
        return (self.clock() if self.ended is None else self.ended) - self.started

    def end(self) -> None:
        self.ended = self.clock()

    def start_part(self, output_limit: int, output_limit_message: str) -> None:
        """A new part (subject, text, HTML): at most ``output_limit`` characters out."""
        self.written = 0
        self.written_limit = output_limit * WRITTEN_FACTOR
        self.output_limit_message = output_limit_message

    def check_time(self) -> None:
        now = self.clock()
        if now > self.deadline:
            self._run_out(now)

    def _run_out(self, now: float) -> None:
        self.ran_out = True
        self.overrun = now - self.deadline
        raise RenderLimitExceeded(TIME_LIMIT)

    def write(self, characters: int) -> None:
        self.written += characters
        if self.written > self.written_limit:
            raise RenderLimitExceeded(self.output_limit_message)
        self.check_time()

    def each(self, iterable: Iterable) -> Iterator:
        deadline, clock = self.deadline, self.clock
        for item in iterable:
            now = clock()
            if now > deadline:
                self._run_out(now)
            yield item


_BUDGET: ContextVar[RenderBudget | None] = ContextVar("render_budget", default=None)


@contextmanager
def render_budget(
    seconds: float = RENDER_TIME_LIMIT_SECONDS, clock: Callable[[], float] = time.thread_time
) -> Iterator[RenderBudget]:
    """Renders in this block (on this thread) share one deadline."""
    budget = RenderBudget(seconds, clock)
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        budget.end()
        _BUDGET.reset(token)


def _check_time() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.check_time()


# -- sizes ---------------------------------------------------------------------------------

_CONTAINERS = (list, tuple, set, frozenset, deque, KeysView, ValuesView, ItemsView)


def weight(value: Any, limit: int = VALUE_SIZE_LIMIT) -> int:
    """About how many characters ``value`` becomes as text. Counting stops once past
    ``limit``, so a value built of many references to one long string costs no more
    than ``limit`` steps to weigh."""
    if isinstance(value, str):
        return len(value)
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, Namespace):
            pending.append(item._Namespace__attrs)
        elif isinstance(item, _CONTAINERS):
            total += 2 + 2 * len(item)
            pending.extend(item)
        else:  # a loop, a macro, a generator: written out as a short description
            total += 32
    return total


def check_value(value: Any) -> Any:
    """``value`` itself, if it is within the size limits."""
    if isinstance(value, str):
        if len(value) > VALUE_SIZE_LIMIT:
            raise RenderLimitExceeded(VALUE_LIMIT)
    elif isinstance(value, int):
        if value.bit_length() > NUMBER_BITS_LIMIT:
            raise RenderLimitExceeded(NUMBER_LIMIT)
    elif weight(value) > VALUE_SIZE_LIMIT:
        raise RenderLimitExceeded(VALUE_LIMIT)
    return value


def _check_size(size: int) -> None:
    if size > VALUE_SIZE_LIMIT:
        raise RenderLimitExceeded(VALUE_LIMIT)


def _check_bits(bits: int) -> None:
    if bits > NUMBER_BITS_LIMIT:
        raise RenderLimitExceeded(NUMBER_LIMIT)


def _as_count(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _spec_number(digits: str) -> int:
    """A width or precision in a format string; absurdly long ones count as too big."""
    return int(digits) if digits.isdigit() and len(digits) <= 9 else VALUE_SIZE_LIMIT + 1


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def _largest(values: Iterable) -> int:
    return max((weight(v) for v in values), default=0)


def _percent_format_size(fmt: str, values: Any) -> int:
    """An upper bound of ``fmt % values``: each field at its widest value or width."""
    if isinstance(values, Mapping):
        items = list(values.values())
    elif isinstance(values, tuple):
        items = list(values)
    else:
        items = [values]
    fields = _PERCENT_FIELD.findall(fmt)
    size = len(fmt) + len(fields) * _largest(items)
    for width, precision in fields:
        for number in (width, precision):
            if number == "*":
                size += sum(abs(v) for v in items if isinstance(v, int))
            elif number:
                size += _spec_number(number)
    return size


def _brace_format_size(fmt: str, args: tuple, kwargs: dict) -> int:
    """An upper bound of ``fmt.format(*args, **kwargs)``."""
    items = [*args, *kwargs.values()]
    largest = _largest(items)
    nested = sum(abs(v) for v in items if isinstance(v, int))
    size = len(fmt)
    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return size  # malformed: ``format`` itself says so
    for _literal, name, spec, _conversion in fields:
        if name is None:
            continue
        size += largest + sum(_spec_number(n) for n in _DIGITS.findall(spec or ""))
        if spec and "{" in spec:
            size += nested
    return size


def _replaced_size(text: Any, old: Any = "", new: Any = "", count: Any = None) -> int:
    text, old, new = str(text), str(old), str(new)
    occurrences = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(len(new) - len(old), 0)


def _joined_size(separator: Any, items: list) -> int:
    return weight(items) + len(str(separator)) * len(items)


# Upper bounds of what a string method returns, for those that can grow their string
# beyond a small multiple of what goes in.
_STR_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda s, width=0, *_: max(len(s), _as_count(width)),
    "ljust": lambda s, width=0, *_: max(len(s), _as_count(width)),
    "rjust": lambda s, width=0, *_: max(len(s), _as_count(width)),
    "zfill": lambda s, width=0: max(len(s), _as_count(width)),
    "expandtabs": lambda s, tabsize=8: len(s) + s.count("\t") * _as_count(tabsize),
    "replace": lambda s, old="", new="", count=-1: _replaced_size(s, old, new, count),
    "join": lambda s, items=(): _joined_size(s, list(items)),
    "translate": lambda s, table=None: (
        len(s)
        * max([1, *(weight(v) for v in table.values())] if isinstance(table, Mapping) else [1])
    ),
}


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _indented_size(s: Any, width: Any = 4, first: Any = False, blank: Any = False) -> int:
    text = str(s)
    per_line = len(width) if isinstance(width, str) else _as_count(width)
    return len(text) + _lines(text) * per_line


def _wrapped_size(
    s: Any,
    width: Any = 79,
    break_long_words: Any = True,
    wrapstring: Any = None,
    break_on_hyphens: Any = True,
) -> int:
    text = str(s)
    lines = len(text) // max(_as_count(width), 1) + sum(map(text.count, " \t\n-")) + 1
    return len(text) + lines * len(wrapstring if isinstance(wrapstring, str) else "\n")


def _urlized_size(
    value: Any,
    trim_url_limit: Any = None,
    nofollow: Any = False,
    target: Any = None,
    rel: Any = None,
    extra_schemes: Any = None,
) -> int:
    text = str(value)
    links = sum(map(text.count, ".@:")) + 1
    return 2 * len(text) + links * (64 + weight(target) + weight(rel))


# Upper bounds of what a filter returns, for those that can grow their input beyond a
# small multiple; each takes the filter's own arguments.
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda value, width=80: max(weight(value), _as_count(width)),
    "indent": _indented_size,
    "wordwrap": _wrapped_size,
    "replace": lambda s, old, new, count=None: _replaced_size(s, old, new, count),
    "join": lambda value, d="", attribute=None: _joined_size(d, value),
    "format": lambda value, *args, **kwargs: _percent_format_size(str(value), kwargs or args),
    "urlize": _urlized_size,
}


def _bounded_filter(name: str, function: Callable) -> Callable:
    """The filter, checked against the budget: its arguments, what it would build where
    that can be known beforehand, and what it returns."""
    passes = 1 if hasattr(function, "jinja_pass_arg") else 0
    size_of = _FILTER_SIZES.get(name)

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_time()
        if name == "join" and len(args) > passes and not isinstance(args[passes], list):
            # Weighing must not use up an iterator the filter is about to read.
            args = (*args[:passes], list(args[passes]), *args[passes + 1 :])
        for value in (*args[passes:], *kwargs.values()):
            check_value(value)
        if size_of is not None:
            _check_size(size_of(*args[passes:], **kwargs))
        return check_value(function(*args, **kwargs))

    return bounded


# -- the compiled template's hooks ------------------------------------------------------------


class _BudgetedCodeGenerator(CodeGenerator):
    """Jinja2's code generator, with the budget's checks on each loop, ``~`` and output."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._loop_iterables: set[int] = set()

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables.add(id(node.iter))
        super().visit_For(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self._loop_iterables:
            return super().visit(node, *args, **kwargs)
        # A loop's iterable, taken one item at a time against the deadline.
        self.write("environment.budgeted_iter(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_join({join}, (")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    def _output_child_pre(self, node, frame, finalize) -> None:
        self.write("environment.counted(")
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.weighed(")

    def _output_child_post(self, node, frame, finalize) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def _output_const_repr(self, group) -> str:
        return f"environment.counted({super()._output_const_repr(group)})"


_SCOPE_ARGUMENTS = frozenset({"_loop_vars", "_block_vars"})


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with every render held to the budget in effect (see
    :func:`render_budget`); outside one, only the size limits apply."""

    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    # Called by the compiled template (see _BudgetedCodeGenerator).
    def budgeted_iter(self, iterable: Iterable) -> Iterable:
        budget = _BUDGET.get()
        return iterable if budget is None else budget.each(iterable)

    def counted(self, text: str) -> str:
        budget = _BUDGET.get()
        if budget is not None:
            budget.write(len(text))
        return text

    def weighed(self, value: Any) -> Any:
        return check_value(value)

    def bounded_join(self, join: Callable, items: tuple) -> str:
        _check_time()
        _check_size(sum(weight(item) for item in items))
        return join(items)

    # The sandbox's own hooks.
    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        _check_operands(operator, left, right)
        return check_value(self.binop_table[operator](left, right))

    def call(self, context, callee: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        # What the template passes; the compiled code adds its own scope (see Context.call).
        given = {k: v for k, v in kwargs.items() if k not in _SCOPE_ARGUMENTS}
        for value in (*args, *given.values()):
            check_value(value)
        owner = getattr(callee, "__self__", None)
        size_of = _STR_METHOD_SIZES.get(getattr(callee, "__name__", ""))
        if isinstance(owner, str) and size_of is not None:
            if callee.__name__ == "join" and args and not isinstance(args[0], list):
                args = (list(args[0]), *args[1:])
            _check_size(size_of(owner, *args, **given))
        elif isinstance(callee, BuiltinFunctionType):  # a length for one (int.to_bytes)
            for value in (*args, *given.values()):
                if isinstance(value, int) and abs(value) > VALUE_SIZE_LIMIT:
                    raise RenderLimitExceeded(VALUE_LIMIT)
        return check_value(super().call(context, callee, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        formatted = super().wrap_str_format(value)
        if formatted is None:
            return None
        fmt, is_map = value.__self__, value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_map:
                _check_size(_brace_format_size(fmt, (), args[0] if args else {}))
            else:
                _check_size(_brace_format_size(fmt, args, kwargs))
            return check_value(formatted(*args, **kwargs))

        return functools.update_wrapper(bounded, formatted)


def _check_operands(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before it is computed."""
    sequences = (str, list, tuple)
    if operator == "*":
        if isinstance(left, int) and isinstance(right, sequences):
            _check_size(weight(right) * max(left, 0))
        elif isinstance(right, int) and isinstance(left, sequences):
            _check_size(weight(left) * max(right, 0))
        elif isinstance(left, int) and isinstance(right, int):
            _check_bits(left.bit_length() + right.bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_bits(right * abs(left).bit_length())
    elif operator == "+":
        if isinstance(left, sequences) and isinstance(right, sequences):
            _check_size(weight(left) + weight(right))
    elif operator == "%" and isinstance(left, str):
        _check_size(_percent_format_size(left, right))
