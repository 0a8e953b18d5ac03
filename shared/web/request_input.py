"""Checks on the raw request, before any view or schema reads it.

A schema can only judge the fields it declares, and only once the body has been parsed.
Some input breaks things earlier or below every schema, so each API refuses it here, for
every endpoint at once:

- a JSON body nested deeper than :data:`MAX_DEPTH` (Python's parser would exhaust the
  stack at about 1,000 levels), an integer longer than :data:`MAX_INTEGER_DIGITS` digits
  (Python refuses to convert one of over 4,300 digits at all), ``NaN`` or ``Infinity``
  (not JSON, and not storable in ``jsonb``): 400;
- a NUL character or a lone surrogate in any string of the body (values and keys, at any
  depth), the query string, a form, a path parameter or a header: 422 naming the field. PostgreSQL
  cannot store either in any text column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Flask, request

from shared.errors import Malformed, Unprocessable
from shared.text import refused_anywhere

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 100
MAX_REPORTED = 20

Path = tuple[str | int, ...]


class _NotAcceptedJson(ValueError):
    pass


def install_input_checks(app: Flask) -> None:
    """Refuse unparseable or unstorable input on every route of ``app``."""
    app.before_request(check_request_input)


def check_request_input() -> None:
    """The ``before_request`` hook; raises :class:`Malformed` or :class:`Unprocessable`."""
    if request.routing_exception is not None:
        return  # a 404 or 405 stays one
    problems: list[tuple[Path, str]] = []
    problems += _flat_problems(request.args.items(multi=True))
    problems += _flat_problems((request.view_args or {}).items())
    # gunicorn refuses NUL in a header; another server may not (Idempotency-Key is stored).
    problems += _flat_problems(request.headers.items())
    if request.is_json:
        body = request.get_data(cache=True)
        if body.strip():
            problems += _document_problems(parse_json_body(body))
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        problems += _flat_problems(request.form.items(multi=True))
    if problems:
        raise Unprocessable(
            "The request has text that cannot be stored: "
            + ", ".join(sorted({str(path[0]) if path else "body" for path, _ in problems})),
            errors=_nest(problems[:MAX_REPORTED]),
        )


def parse_json_body(body: bytes) -> object:
    """Parse a JSON body within the limits above; :class:`Malformed` (400) if it is not."""
    try:
        document = json.loads(body, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError as exc:
        raise Malformed(f"The JSON body is nested more than {MAX_DEPTH} levels deep.") from exc
    except _NotAcceptedJson as exc:
        raise Malformed(str(exc)) from exc
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise Malformed("The request body is not valid JSON.") from exc
    if _depth(document) > MAX_DEPTH:
        raise Malformed(f"The JSON body is nested more than {MAX_DEPTH} levels deep.")
    return document


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NotAcceptedJson(
            f"A number in the JSON body has more than {MAX_INTEGER_DIGITS} digits."
        )
    return int(digits)


def _no_constant(name: str):
    raise _NotAcceptedJson(f"{name} is not a JSON number.")


def _depth(document: object) -> int:
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, level + 1) for child in children)
    return deepest


def _document_problems(document: object) -> Iterator[tuple[Path, str]]:
    """Every string of a parsed body that no service can store, with where it is."""
    pending: list[tuple[Path, object]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if found := refused_anywhere(value):
                yield path, _message(found)
        elif isinstance(value, dict):
            for key, child in value.items():
                if found := refused_anywhere(key):
                    # A bad key is reported on its mapping (a top-level one by itself).
                    yield (path or (_printable(key),)), "A key has " + _message(found)
                else:
                    pending.append(((*path, key), child))
        elif isinstance(value, list):
            pending.extend(((*path, index), child) for index, child in enumerate(value))


def _flat_problems(pairs) -> list[tuple[Path, str]]:
    problems = []
    for name, value in pairs:
        if found := refused_anywhere(name):
            problems.append(((_printable(name),), "The name has " + _message(found)))
        elif isinstance(value, str) and (found := refused_anywhere(value)):
            problems.append(((name,), _message(found)))
    return problems


def _message(found: str) -> str:
    return f"a character no text may hold (NUL or a lone surrogate; found {found})."


def _printable(name: str) -> str:
    return name.encode("unicode_escape", "backslashreplace").decode("ascii")


def _nest(problems: list[tuple[Path, str]]) -> dict:
    """``[(("aspirations", 0, "text"), msg)]`` -> ``{"aspirations": {"0": {"text": [msg]}}}``,
    the shape marshmallow gives nested field errors (as JSON shows them)."""
    errors: dict = {}
    for path, message in problems:
        # String keys throughout: list positions and field names may meet at one level.
        steps = [str(step) for step in path] or ["_schema"]
        node = errors
        for step in steps[:-1]:
            child = node.setdefault(step, {})
            if not isinstance(child, dict):  # a message already there: keep it there
                break
            node = child
        else:
            messages = node.setdefault(steps[-1], [])
            if isinstance(messages, list):
                messages.append(message[0].upper() + message[1:])
    return errors
