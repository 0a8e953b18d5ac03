"""deploy/Dockerfile and .dockerignore read as docker reads them, without a container
engine: the build context the daemon is sent, what each stage copies from it, its
environment and commands."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass
class Copy:
    sources: list[str]
    destination: str
    from_stage: str | None


@dataclass
class Stage:
    name: str | None
    base: str
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: list[Copy] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] | None = None
    user: str | None = None


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continued lines joined."""
    logical, current = [], ""
    for line in text.splitlines():
        if line.strip().startswith("#") and not current:
            continue
        if line.strip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            keyword, _, arguments = current.strip().partition(" ")
            logical.append((keyword.upper(), arguments.strip()))
        current = ""
    return logical


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def stages(text: str | None = None) -> list[Stage]:
    """The Dockerfile's stages, in order; the last is the image."""
    text = DOCKERFILE.read_text() if text is None else text
    found: list[Stage] = []
    for keyword, arguments in _instructions(text):
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(name=name, base=words[0]))
            continue
        stage = found[-1]
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                stage.env[key] = _expand(value, stage.env)
        elif keyword == "WORKDIR":
            stage.workdir = str(Path(stage.workdir) / _expand(arguments, stage.env))
        elif keyword == "COPY":
            words = shlex.split(arguments)
            options = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            from_stage = next(
                (o.split("=", 1)[1] for o in options if o.startswith("--from=")), None
            )
            stage.copies.append(Copy(paths[:-1], paths[-1], from_stage))
        elif keyword == "RUN":
            stage.runs.append(_expand(arguments, stage.env))
        elif keyword == "CMD":
            stage.cmd = json.loads(arguments)
        elif keyword == "USER":
            stage.user = arguments
    return found


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go's filepath.Match, with ``**``) as a regex."""
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _ignore_rules(text: str) -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        rules.append((keep, _pattern(line.removeprefix("!"))))
    return rules


def _ignored(relative: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Docker's rule: the last pattern that matches the path, or one of its parent
    folders, decides."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for keep, pattern in rules:
        if any(pattern.match(prefix) for prefix in prefixes):
            ignored = not keep
    return ignored


def build_context(root: Path = ROOT) -> set[str]:
    """The files (relative, POSIX) ``docker build`` sends from ``root``, as .dockerignore
    leaves them."""
    rules = _ignore_rules((root / ".dockerignore").read_text())
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not _ignored(path.relative_to(root).as_posix(), rules)
    }


def copied_from_context(stage: Stage, context: set[str]) -> dict[str, str]:
    """What the stage's COPY instructions take from the build context:
    destination path in the stage -> path in the context."""
    placed = {}
    for copy in stage.copies:
        if copy.from_stage is not None:
            continue
        destination = Path(stage.workdir) / copy.destination
        for source in copy.sources:
            source = source.strip("/").removeprefix("./")
            matched = [f for f in context if f == source or f.startswith(source + "/")]
            assert matched, f"COPY {source}: nothing in the build context"
            into_folder = copy.destination.endswith("/") or len(copy.sources) > 1
            for file in matched:
                if file != source:  # a folder's content goes under the destination
                    target = destination / file[len(source) + 1 :]
                else:
                    target = destination / Path(file).name if into_folder else destination
                placed[target.as_posix()] = file
    return placed
