"""The Slither gate: compare Slither's JSON findings with the checked-in triage file.

Run with the project's own Python (no Slither needed): ``python .ci/slither/gate.py RESULTS.json [TRIAGE.toml]``.
It fails (exit 1) on any finding without a triage entry (High and Medium must be triaged false positives; Low and
Informational must be fixed or triaged) and on any stale entry that matches no finding, and prints why.

A finding is identified by its detector and its location ``Contract.member`` (the function, modifier or state
variable it is about; ``Contract.function.local`` for a parameter or local), never by line numbers, so an entry
survives unrelated edits. One entry covers every finding of its detector at that location.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_TRIAGE = HERE / "triage.toml"
_MEMBER_TYPES = {"function", "modifier", "event", "struct", "enum", "variable", "custom_error"}


@dataclass(frozen=True)
class Finding:
    detector: str
    impact: str
    location: str
    description: str

    @property
    def key(self) -> tuple[str, str]:
        return self.detector, self.location


@dataclass(frozen=True)
class Entry:
    detector: str
    location: str
    reason: str

    @property
    def key(self) -> tuple[str, str]:
        return self.detector, self.location


def _parent(element: dict[str, Any]) -> dict[str, Any]:
    parent = element.get("type_specific_fields", {}).get("parent", {})
    return parent if isinstance(parent, dict) else {}


def location_of(element: dict[str, Any]) -> str:
    """``Contract.member`` (or ``Contract.function.local``) for one Slither result element."""
    kind, name = element.get("type"), str(element.get("name", ""))
    parent = _parent(element)
    if kind == "node":  # a statement: identified by the function it is in
        function, contract = parent, _parent(parent)
        return f"{contract.get('name')}.{function.get('name')}"
    if kind in _MEMBER_TYPES and parent:
        if parent.get("type") in ("function", "modifier"):
            return f"{_parent(parent).get('name')}.{parent.get('name')}.{name}"
        return f"{parent.get('name')}.{name}"
    return name


def findings_of(results: dict[str, Any]) -> list[Finding]:
    """The detector findings in Slither's ``--json`` output (raises ValueError if Slither itself failed)."""
    if not results.get("success", False):
        raise ValueError(f"Slither did not succeed: {results.get('error')}")
    detectors = results.get("results", {}).get("detectors", [])
    return [
        Finding(
            detector=str(item["check"]),
            impact=str(item["impact"]),
            location=location_of(item["elements"][0]) if item.get("elements") else "",
            description=str(item.get("description", "")).strip().splitlines()[0],
        )
        for item in detectors
    ]


def load_triage(text: str) -> list[Entry]:
    """Entries of a triage file: ``[[finding]]`` tables with ``detector``, ``location`` and ``reason``."""
    entries = []
    for index, table in enumerate(tomllib.loads(text).get("finding", []), start=1):
        missing = [k for k in ("detector", "location", "reason") if not str(table.get(k, "")).strip()]
        if missing:
            raise ValueError(f"triage entry #{index} lacks {', '.join(missing)}")
        entries.append(Entry(str(table["detector"]), str(table["location"]), str(table["reason"]).strip()))
    return entries


def check(findings: list[Finding], entries: list[Entry]) -> list[str]:
    """Every reason the gate fails: untriaged findings, stale and duplicate entries (empty: pass)."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.key in seen:
            problems.append(f"duplicate triage entry: {entry.detector} at {entry.location}")
        seen.add(entry.key)
    triaged = {entry.key for entry in entries}
    for finding in findings:
        if finding.key not in triaged:
            verdict = (
                "must be fixed or triaged as a false positive"
                if finding.impact in ("High", "Medium")
                else ("must be fixed or triaged")
            )
            problems.append(
                f"new {finding.impact} finding {finding.detector} at {finding.location} ({verdict}): "
                f"{finding.description}"
            )
    found = {finding.key for finding in findings}
    problems += [
        f"stale triage entry: {entry.detector} at {entry.location} matches no finding (remove it)"
        for entry in entries
        if entry.key not in found
    ]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: gate.py RESULTS.json [TRIAGE.toml]", file=sys.stderr)
        return 2
    findings = findings_of(json.loads(Path(argv[0]).read_text()))
    triage_path = Path(argv[1]) if len(argv) == 2 else DEFAULT_TRIAGE
    entries = load_triage(triage_path.read_text())
    problems = check(findings, entries)
    if problems:
        print(f"slither gate: FAILED ({len(problems)} problem(s), {len(findings)} finding(s), {len(entries)} entries)")
        for problem in problems:
            print(f"  - {problem}")
        print(f"  fix the contract, or add/remove an entry in {triage_path}")
        return 1
    print(f"slither gate: passed ({len(findings)} finding(s), all triaged in {triage_path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
