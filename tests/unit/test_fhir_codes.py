"""docs/fhir.md lists every code of the platform's code systems that the FHIR exports use:
read from the golden files of both exports and from the mapping tables themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from services.intake.fhir.client_record import BAND_WORDS, METHOD_WORDS
from shared import fhir
from shared.domains import LIFE_DOMAINS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "fhir.md"
GOLDEN = ROOT / "tests" / "data" / "fhir"


def _documented() -> dict[str, set[str]]:
    """Each platform code system of the doc's table, and its codes."""
    systems = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            systems[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[1]))
    return systems


def _codings(value):
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            yield value["system"], value["code"]
        for item in value.values():
            yield from _codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codings(item)


def test_every_platform_code_in_the_golden_exports_is_documented():
    documented = _documented()
    prefix = fhir.code_system("")
    used = {
        (system.removeprefix(prefix), code)
        for path in GOLDEN.glob("*/*.json")
        for system, code in _codings(json.loads(path.read_text()))
        if system.startswith(prefix)
    }
    assert used, "no golden files"
    missing = sorted((s, c) for s, c in used if c not in documented.get(s, set()))
    assert not missing, f"docs/fhir.md does not list {missing}"


def test_every_code_the_mapping_can_produce_is_documented():
    documented = _documented()
    assert set(LIFE_DOMAINS) <= documented["life-domain"]
    assert set(METHOD_WORDS) <= documented["consent-method"]
    assert set(BAND_WORDS["k10"]) <= documented["k10-band"]
    assert set(BAND_WORDS["wemwbs"]) <= documented["wemwbs-band"]
