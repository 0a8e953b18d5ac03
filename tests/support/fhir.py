"""FHIR R4 checked by real validators, as a receiving system would:

- every resource through the ``fhir.resources`` R4B models (the package's default is R5;
  R4B shares R4's resources for everything exported here);
- the Bundle against the official R4 JSON Schema (``tests/data/fhir/``) with ``jsonschema``;
- the FHIRPath invariants the models do not run, evaluated with ``fhirpathpy``: bdl-7
  (full URLs unique), cpl-3 (an activity has a reference or a detail, not both), ppc-1 (a
  Consent names a policy or a policy rule), gol-1 (a target's detail has its measure),
  tim-10 (a Timing's time of day excludes ``when``), and every reference resolving to an
  entry of the Bundle;
- golden files, one per resource type, compared after normalising ids.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import jsonschema
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhirpathpy import evaluate

DATA = Path(__file__).resolve().parents[1] / "data" / "fhir"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")

# (resource type, invariant key, FHIRPath expression), as the R4 specification states them.
INVARIANTS = (
    (
        "Bundle",
        "bdl-7",
        "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&iif("
        "resource.meta.versionId.exists(), resource.meta.versionId, '')).isDistinct()",
    ),
    ("CarePlan", "cpl-3", "activity.all(detail.empty() or reference.empty())"),
    ("Consent", "ppc-1", "policy.exists() or policyRule.exists()"),
    (
        "Goal",
        "gol-1",
        "target.all((detail.exists() and measure.exists()) or detail.exists().not())",
    ),
    (
        "CarePlan",
        "tim-10",
        "activity.detail.scheduledTiming.repeat.all(timeOfDay.empty() or when.empty())",
    ),
)


@functools.cache
def _schema_validator() -> jsonschema.Draft6Validator:
    raw = gzip.decompress((DATA / "fhir.schema.json.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the R4 schema we vendored"
    schema = json.loads(raw)
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    return jsonschema.Draft6Validator(schema)


def schema_errors(resource: dict) -> list[str]:
    """What the official R4 JSON Schema finds wrong with ``resource`` (each entry of a
    Bundle is checked against its own type's definition, which is what the schema's
    ``ResourceList`` would pick, with a readable error)."""
    validator = _schema_validator()
    definitions = validator.schema["definitions"]
    errors = []
    resources = [resource] + [e["resource"] for e in resource.get("entry", ())]
    for item in resources:
        definition = definitions[item["resourceType"]]
        one = validator.evolve(schema={**definition, "definitions": definitions})
        for error in one.iter_errors(item):
            where = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"{item['resourceType']}/{where}: {error.message[:200]}")
    # and the Bundle as a whole, as the schema's root takes it
    if not errors:
        errors += [e.message[:200] for e in validator.iter_errors(resource)]
    return errors


def invariant_failures(bundle: dict) -> list[str]:
    failures = []
    for resource in [bundle] + [e["resource"] for e in bundle["entry"]]:
        for resource_type, key, expression in INVARIANTS:
            applies = resource["resourceType"] == resource_type
            if applies and evaluate(resource, expression) != [True]:
                failures.append(f"{resource_type}/{resource['id']} fails {key}")
    full_urls = set(evaluate(bundle, "Bundle.entry.fullUrl"))
    # (CarePlan.activity.reference is a Reference itself: its own .reference is the string)
    found = evaluate(bundle, "Bundle.entry.resource.descendants().reference")
    for reference in (r for r in found if isinstance(r, str)):
        if reference not in full_urls:
            failures.append(f"reference {reference} resolves to no entry of the Bundle")
    return failures


def assert_valid_bundle(bundle: dict) -> None:
    """The Bundle passes every validator above; its entries' ids are their full URLs'."""
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    assert schema_errors(bundle) == []
    assert invariant_failures(bundle) == []


def resources_of(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def normalised(bundle: dict, *, instants: bool = False) -> dict:
    """The Bundle with every UUID replaced by its rank of first appearance: what stays the
    same from one run to the next (our ids are random in tests; the mapping is not).
    ``instants``: every instant too, for a service on the wall clock (intake)."""
    text = json.dumps(bundle, indent=1, sort_keys=False, ensure_ascii=False)
    if instants:
        text = INSTANT.sub("2000-01-01T00:00:00Z", text)
    seen: dict[str, str] = {}

    def rank(match: re.Match) -> str:
        return seen.setdefault(match.group(0), f"00000000-0000-0000-0000-{len(seen) + 1:012d}")

    return json.loads(UUID.sub(rank, text))


def assert_matches_golden(bundle: dict, export: str, *, instants: bool = False) -> None:
    """Each resource type of the normalised Bundle equals its golden file
    (``tests/data/fhir/<export>/<Type>.json``), and no golden file is left unmatched.
    ``FHIR_GOLDEN_UPDATE=1`` writes them anew instead."""
    folder = DATA / export
    plain = normalised(bundle, instants=instants)
    types = sorted({e["resource"]["resourceType"] for e in plain["entry"]})
    wanted = {"Bundle": {k: v for k, v in plain.items() if k != "entry"}} | {
        t: resources_of(plain, t) for t in types
    }
    if os.environ.get("FHIR_GOLDEN_UPDATE") == "1":
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for name, value in wanted.items():
            text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
            (folder / f"{name}.json").write_text(text)
    files = {path.stem for path in folder.glob("*.json")}
    assert files == set(wanted), f"golden files {sorted(files)} vs types {sorted(wanted)}"
    for name, value in wanted.items():
        golden = json.loads((folder / f"{name}.json").read_text())
        assert value == golden, f"{export}/{name}.json differs from the export"
