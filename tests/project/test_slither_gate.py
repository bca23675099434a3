"""The Slither triage gate (.ci/slither/gate.py) on fake Slither output: no Slither needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("slither_gate", ROOT / ".ci" / "slither" / "gate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["slither_gate"] = module
    spec.loader.exec_module(module)
    return module


gate = _gate()


def _function(contract: str, name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "type_specific_fields": {"parent": {"type": "contract", "name": contract}},
    }


def _results(*items: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    detectors = [
        {"check": check, "impact": impact, "description": f"{check} here\nmore", "elements": [element]}
        for check, impact, element in items
    ]
    return {"success": True, "error": None, "results": {"detectors": detectors}}


TRIAGE = """
[[finding]]
detector = "timestamp"
location = "InvestorRegistry.isVerified"
reason = "KYC expiry is a date"
"""


def test_a_triaged_finding_passes() -> None:
    findings = gate.findings_of(_results(("timestamp", "Low", _function("InvestorRegistry", "isVerified"))))
    assert gate.check(findings, gate.load_triage(TRIAGE)) == []


def test_a_new_finding_fails_and_is_named() -> None:
    findings = gate.findings_of(
        _results(
            ("timestamp", "Low", _function("InvestorRegistry", "isVerified")),
            ("reentrancy-eth", "High", _function("DvPSettlement", "settle")),
        )
    )
    assert gate.check(findings, gate.load_triage(TRIAGE)) == [
        "new High finding reentrancy-eth at DvPSettlement.settle (must be fixed or triaged as a false positive): "
        "reentrancy-eth here"
    ]


def test_a_stale_entry_fails() -> None:
    assert gate.check([], gate.load_triage(TRIAGE)) == [
        "stale triage entry: timestamp at InvestorRegistry.isVerified matches no finding (remove it)"
    ]


def test_locations_ignore_line_numbers_and_name_locals_by_function() -> None:
    node = {"type": "node", "name": "x", "type_specific_fields": {"parent": _function("ComplianceEngine", "_update")}}
    local = {
        "type": "variable",
        "name": "total",
        "type_specific_fields": {"parent": _function("RWATokenBase", "batchMint")},
    }
    assert gate.location_of(node) == "ComplianceEngine._update"
    assert gate.location_of(local) == "RWATokenBase.batchMint.total"


def test_an_entry_without_a_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks reason"):
        gate.load_triage('[[finding]]\ndetector = "timestamp"\nlocation = "A.b"\n')


def test_main_exits_non_zero_and_prints_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "slither.json"
    results.write_text(json.dumps(_results(("weak-prng", "High", _function("ComplianceEngine", "_amountCode")))))
    triage = tmp_path / "triage.toml"
    triage.write_text(TRIAGE)
    assert gate.main([str(results), str(triage)]) == 1
    out = capsys.readouterr().out
    assert "new High finding weak-prng at ComplianceEngine._amountCode" in out
    assert "stale triage entry: timestamp at InvestorRegistry.isVerified" in out


def test_the_checked_in_triage_file_parses_with_a_reason_per_entry() -> None:
    entries = gate.load_triage((ROOT / ".ci" / "slither" / "triage.toml").read_text())
    assert entries and all(len(e.reason) > 20 for e in entries)
