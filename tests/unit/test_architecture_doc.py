"""docs/ARCHITECTURE.md stays true: its tables are the catalogue's, the handler tables'
and the registry's, and
the code cites it, never a design file a clone does not have."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from coaching.registry import SERVICES, process_table, producers
from shared.events import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def _section(number: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # the header


def test_the_event_table_is_the_catalogue():
    documented = {}
    for event, producer, consumers, versions in _rows(_section("2")):
        documented[event.strip("`")] = (
            producer,
            tuple(sorted(c.strip() for c in consumers.split(",") if c.strip() != "—")),
            versions,
        )
    expected = {
        spec.type: (
            producers()[spec.type],
            tuple(
                sorted(name for name, each in SERVICES.items() if spec.type in each.subscriptions)
            ),
            ", ".join(f"v{v}" for v in sorted(spec.versions)),
        )
        for spec in CATALOGUE.values()
    }
    assert documented == expected


def test_the_process_table_is_the_registry():
    documented = {}
    for names, command, _ in _rows(_section("3")):
        words = shlex.split(command.strip("`"))
        for name in re.findall(r"`([a-z]+-[a-z]+)`", names):
            service = name.split("-")[0]
            documented[name] = [service if w == "SERVICE" else w for w in words]
    expected = {
        name: argv[argv.index("coaching") :] for name, argv in process_table("python").items()
    }
    assert documented == expected


def test_code_cites_the_architecture_not_a_file_outside_the_repository():
    offending = []
    for package in ("coaching", "shared", "services"):
        for path in (ROOT / package).rglob("*.py"):
            if "DESIGN.md" in path.read_text():
                offending.append(str(path.relative_to(ROOT)))
    assert offending == []


def test_the_life_domains_are_the_vocabulary_the_code_has():
    from shared.domains import LIFE_DOMAINS

    documented = re.findall(r"`([a-z_]+)`", _section("7").split("**Configuration**")[0])
    assert documented == list(LIFE_DOMAINS)


def test_the_documented_plan_limits_and_drawing_slots_are_the_codes():
    from services.plans import limits
    from services.plans.reports import drawing

    rules = _section("5")
    for phrase in (
        f"{limits.GOALS_PER_PLAN} goals per plan",
        f"the first {limits.GOALS_PER_PLAN} of intake's",
        f"{limits.STEPS_PER_GOAL} action steps per goal",
        f"{limits.CHECKINS_PER_PLAN} check-ins per plan",
        f"titles up to {limits.TITLE_LENGTH} characters",
        f"check-in notes up to {limits.TEXT_LENGTH:,}",
        f"recommendations up to {limits.REPORT_NOTES_LENGTH:,}",
        f"the {limits.NOTES_PER_REPORT} most",
        f"quotes at most {limits.QUOTES_PER_REPORT}",
        f"the {limits.CHECKINS_LISTED} most recent",
        f"charts {limits.GOALS_CHARTED} goals",
        f"`DRAWINGS_AT_ONCE = {drawing.DRAWINGS_AT_ONCE}`",
        f"waits {drawing.SHARE_WAIT_SECONDS:g} s for one of its own",
        f"waits {drawing.BUSY_WAIT_SECONDS:g} s for any slot",
        f"({drawing.KEPT_DRAWINGS} drawings, {drawing.KEPT_BYTES // 2**20} MiB, "
        f"{drawing.KEPT_SECONDS / 60:g} minutes",
    ):
        assert phrase in " ".join(rules.split()), phrase


def test_every_file_the_architecture_names_exists():
    """A file or folder the doc names (``replies/routing.py``, ``wording/``) is one the
    repository has: a module that moved cannot leave the map pointing at nothing."""
    tracked = [
        path.relative_to(ROOT).as_posix()
        for package in ("coaching", "shared", "services", "tests", "bench", "deploy")
        if (ROOT / package).exists()
        for path in (ROOT / package).rglob("*")
        if "__pycache__" not in path.parts
    ]
    tracked += [p.name for p in ROOT.iterdir()]
    names = set(re.findall(r"`([A-Za-z0-9_./-]+(?:\.py|\.toml|\.txt|/))`", DOC.read_text()))
    missing = [
        name
        for name in sorted(names)
        if not name.startswith("var/")
        and not any(
            path == name.rstrip("/") or path.endswith("/" + name.rstrip("/")) for path in tracked
        )
    ]
    assert missing == []
